"""
### Welcome messages (double opt-in)

Imported numbers are *pending* members until they confirm. After every merged import (the
memberships Asset, updated by `contact_import`, `batch_review` and `inbound_messages`), this
DAG queues one welcome per list and number that has none yet, asking the number to reply
YES (text and placeholders: `config/messaging.yaml`, `welcome:`). The message is only
queued: `message_dispatch` sends it inside the recipient's hours.

1. **enqueue_welcomes**: `msg.outbox` gets a row per welcome, idempotency key
   `welcome:<list>:<number HMAC>` (a keyword auto-welcome uses the same key, so a number
   gets one welcome per list whichever way it came). Running it again queues nothing.

Starts paused (what it queues gets sent): unpause it with `message_dispatch`; `make demo` runs
it all the same (dag.test() ignores pause). See docs/messaging.md.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import Param, dag, get_current_context, task

from optline.tasks import messaging
from optline.tasks.assets import LISTS, OUTBOX
from optline.tasks.defaults import START_DATE, WRITER_POOL, default_args


@dag(
    dag_id="welcome_messages",
    schedule=[LISTS],
    start_date=START_DATE,
    catchup=False,
    is_paused_upon_creation=True,  # it queues welcomes for sending: a person unpauses it (the demo's runs ignore pause)
    max_active_runs=1,
    default_args=default_args("data-team", max_retry_delay=timedelta(minutes=10)),
    tags=["optline", "messaging"],
    params={
        "as_of": Param(None, type=["null", "string"], description="Clock the welcomes are queued at (default: now)"),
    },
    doc_md=__doc__,
)
def welcome_messages():
    @task(pool=WRITER_POOL, outlets=[OUTBOX])
    def enqueue_welcomes() -> dict:
        return messaging.enqueue_welcomes(get_current_context())

    enqueue_welcomes()


welcome_messages()
