"""
### List touch-ups

Applies the operators' list touch-up files waiting in the touch-up inbox
(`OPTLINE_TOUCHUP_INBOX`, default `data/touchups/`), file by file. A file is a CSV with
`action`, `phone` and, as the action needs, `list`, `tag`, and opt-in evidence
(`opted_in_at`, `source`); an optional manifest gives `default_country`, `date_order`, ...

1. **discover_files**: the files waiting (manifests aside).
2. **apply_file** (one mapped task per file, one transaction each): every row ends
   **applied** or **rejected** with a reason, kept with its batch, row and line. add_member
   without evidence makes a *pending* member, who gets the double opt-in welcome
   (`welcome_messages` runs on the memberships Asset this task updates); with evidence (a
   time not after the clock, and a source) it is an `opt_in` consent event and an active
   member. A number the ledger suppresses is never added nor reactivated
   (`previously_opted_out`): only its own START lifts an opt-out. remove_member, add_tag,
   remove_tag, suspend, reactivate as written. A file applied before (same bytes and
   manifest) is not read again. A report per file under `reports/touchups/<batch>/`
   (numbers masked).

Every hour at :20. Writing tasks share the `duckdb_writer` pool. A bad file fails its own
task without retries and leaves the warehouse untouched. Params: `inbox` (another folder),
`as_of` (the clock, ISO timestamp). See docs/touchups.md.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import Param, dag, get_current_context, task

from optline.tasks import touchups
from optline.tasks.assets import CONSENT_EVENTS, LISTS
from optline.tasks.defaults import START_DATE, WRITER_POOL, default_args


@dag(
    dag_id="list_touchups",
    schedule="20 * * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args("data-team", max_retry_delay=timedelta(minutes=10)),
    tags=["optline", "lists", "consent"],
    params={
        "inbox": Param(None, type=["null", "string"],
                       description="Folder to apply touch-ups from (default: OPTLINE_TOUCHUP_INBOX)"),
        "as_of": Param(None, type=["null", "string"],
                       description="The run's clock, ISO 8601 (default: now); bounds opt-in evidence"),
    },
    doc_md=__doc__,
)
def list_touchups():
    @task
    def discover_files() -> list[dict]:
        return touchups.discover_files(get_current_context())

    @task(pool=WRITER_POOL, outlets=[LISTS, CONSENT_EVENTS])
    def apply_file(inbox_file: dict) -> dict:
        return touchups.apply_file(inbox_file, get_current_context())

    apply_file.expand(inbox_file=discover_files())


list_touchups()
