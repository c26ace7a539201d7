"""
### Web confirmations

Applies the double opt-in landing page's exports (who confirmed, with number and time)
waiting in `OPTLINE_CONFIRMATIONS_INBOX` (default `data/confirmations/`):

1. **discover_files**: the exports waiting.
2. **apply_file** (one mapped task per export, one transaction each): each confirmed number's
   pending memberships become active (`core.confirmations`, method `web`) with an opt-in
   consent event; rows that confirm nothing are kept as ignored or invalid with a reason.
   A suppressed number is never activated by a web form: only its own START lifts an opt-out.
   An export applied before is not read again.

Every 15 minutes. Replies to the welcome (YES/START) arrive through `inbound_messages`
instead. Params: `inbox`, `as_of`. See docs/confirmations.md.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import Param, dag, get_current_context, task

from optline.tasks import confirmations
from optline.tasks.assets import CONSENT_EVENTS, LISTS
from optline.tasks.defaults import START_DATE, WRITER_POOL, default_args


@dag(
    dag_id="web_confirmations",
    schedule="*/15 * * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args("data-team", max_retry_delay=timedelta(minutes=10)),
    tags=["optline", "messaging", "consent"],
    params={
        "inbox": Param(None, type=["null", "string"],
                       description="Folder to read (default: OPTLINE_CONFIRMATIONS_INBOX)"),
        "as_of": Param(None, type=["null", "string"], description="Clock the exports are applied at (default: now)"),
    },
    doc_md=__doc__,
)
def web_confirmations():
    @task
    def discover_files() -> list[dict]:
        return confirmations.discover_files(get_current_context())

    @task(pool=WRITER_POOL, outlets=[LISTS, CONSENT_EVENTS])
    def apply_file(inbox_file: dict) -> dict:
        return confirmations.apply_file(inbox_file, get_current_context())

    apply_file.expand(inbox_file=discover_files())


web_confirmations()
