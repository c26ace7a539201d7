"""
### Inbound messages

Applies exports of received texts waiting in the inbound inbox (`OPTLINE_INBOUND_INBOX`,
default `data/inbound/`), each with its manifest (`<name>.manifest.yaml` or `_manifest.yaml`:
channel, default country, `keywords:` to list names, help and welcome texts):

1. **discover_files**: the exports waiting.
2. **apply_file** (one mapped task per export, one transaction each): every message is
   classified (opt-out, START, HELP, list keyword, other) and applied in the order received:
   opt-outs and resubscribes to the consent ledger, keyword joins to lists and memberships,
   help and first-time welcome replies to `msg.outbox` (queued once). An export applied
   before is not read again. A report per export (`reports/inbound/<batch>/`) shows each
   opt-out's receipt and application times and flags any beyond 10 business days.
3. **summarize**: per-export counts; the run fails, naming them, if any export was not applied.

Every 15 minutes, so opt-outs are honored promptly. Writing tasks share the `duckdb_writer`
pool. A malformed export fails its own task without retries and leaves the warehouse untouched.
Params: `inbox` (another folder), `as_of` (the clock opt-outs are applied at; default: now).
See docs/inbound.md.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import Param, dag, get_current_context, task

from optline.tasks import inbound
from optline.tasks.assets import CONSENT_EVENTS, CONTACTS, LISTS
from optline.tasks.defaults import START_DATE, WRITER_POOL, default_args


@dag(
    dag_id="inbound_messages",
    schedule="*/15 * * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args("data-team", max_retry_delay=timedelta(minutes=10)),
    tags=["optline", "inbound", "consent"],
    params={
        "inbox": Param(None, type=["null", "string"], description="Folder to read (default: OPTLINE_INBOUND_INBOX)"),
        "as_of": Param(None, type=["null", "string"],
                       description="Clock opt-outs are applied at, ISO 8601 (default: now)"),
    },
    doc_md=__doc__,
)
def inbound_messages():
    @task
    def discover_files() -> list[dict]:
        return inbound.discover_files(get_current_context())

    @task(pool=WRITER_POOL, outlets=[CONSENT_EVENTS, CONTACTS, LISTS])
    def apply_file(inbox_file: dict) -> dict:
        return inbound.apply_file(inbox_file, get_current_context())

    @task(pool=WRITER_POOL, trigger_rule="all_done", retries=0)
    def summarize(files: list[dict]) -> dict:
        return inbound.summarize(files, get_current_context())

    files = discover_files()
    apply_file.expand(inbox_file=files) >> summarize(files)


inbound_messages()
