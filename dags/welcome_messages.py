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

See docs/messaging.md.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag, get_current_context, task

from optline import messaging_tasks, tasks
from optline.assets import LISTS, OUTBOX

default_args = {
    "owner": "data-team",
    "retries": 2,
    "retry_delay": timedelta(minutes=1),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=10),
}


@dag(
    dag_id="welcome_messages",
    schedule=[LISTS],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    tags=["optline", "messaging"],
    params={
        "as_of": Param(None, type=["null", "string"], description="Clock the welcomes are queued at (default: now)"),
    },
    doc_md=__doc__,
)
def welcome_messages():
    @task(pool=tasks.WRITER_POOL, outlets=[OUTBOX])
    def enqueue_welcomes() -> dict:
        return messaging_tasks.enqueue_welcomes(get_current_context())

    enqueue_welcomes()


welcome_messages()
