"""
### Opt-out import

Applies the bulk opt-out files waiting in the opt-out inbox (`OPTLINE_OPTOUT_INBOX`,
default `data/optouts/`) to the consent ledger, file by file:

1. **discover_files**: data files (CSV, XLSX, one number per line) with their manifest
   (`<name>.manifest.yaml` or `_manifest.yaml`: `scope`, `source`, `method`, `columns`, ...).
2. **apply_file** (one mapped task per file, one transaction each): stage every row, parse
   the numbers, match rows to contacts (by contact id; by number, narrowed by names and the
   extra columns; or by email), and append one `opt_out` consent event per number and scope.
   Each row ends **matched**, **suppressed_unmatched** (a valid number no contact has: it is
   suppressed all the same, so later imports refuse it) or **invalid** (with a reason code).
   A file already applied (same bytes and settings) is not read again. A report per file
   under `reports/optouts/<batch>/` (numbers masked).
3. **summarize**: the per-file counts; the run fails, naming them, if a file was not applied.

Runs at 01:30 UTC, before `contact_import` (02:00), so the night's imports already refuse
the numbers opted out that day (`previously_opted_out`). Writing tasks share the
`duckdb_writer` pool. A bad file fails its own task without retries and leaves the
warehouse untouched. Params: `inbox` (another folder), `as_of` (the clock, ISO timestamp).
See docs/optouts.md.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import Param, dag, get_current_context, task

from optline.tasks import optouts
from optline.tasks.assets import CONSENT_EVENTS
from optline.tasks.defaults import START_DATE, WRITER_POOL, default_args


@dag(
    dag_id="optout_import",
    schedule="30 1 * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args("data-team", max_retry_delay=timedelta(minutes=15)),
    tags=["optline", "import", "consent", "opt-out"],
    params={
        "inbox": Param(None, type=["null", "string"],
                       description="Folder to apply opt-outs from (default: OPTLINE_OPTOUT_INBOX)"),
        "as_of": Param(None, type=["null", "string"],
                       description="The run's clock, ISO 8601 (default: run time); bounds opt-out dates"),
    },
    doc_md=__doc__,
)
def optout_import():
    @task
    def discover_files() -> list[dict]:
        return optouts.discover_files(get_current_context())

    @task(pool=WRITER_POOL, outlets=[CONSENT_EVENTS])
    def apply_file(inbox_file: dict) -> dict:
        return optouts.apply_file(inbox_file, get_current_context())

    @task(pool=WRITER_POOL, trigger_rule="all_done", retries=0)
    def summarize(files: list[dict]) -> dict:
        return optouts.summarize(files, get_current_context())

    files = discover_files()
    apply_file.expand(inbox_file=files) >> summarize(files)


optout_import()
