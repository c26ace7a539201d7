"""
### Contact import

Imports the contact lists waiting in the inbox (`OPTLINE_INBOX`, default `data/inbox/`)
into the DuckDB warehouse, file by file:

1. **discover_files**: data files with their manifest (`<name>.manifest.yaml` or `_manifest.yaml`).
2. **import_file** (one mapped group per file):
   *stage* every row as text with lineage (a file already imported is not read again) →
   *check*: normalize numbers to E.164 and apply the row rules (rejects with reasons) →
   *validate*: the Great Expectations suite `expectations/contact_list.json`, run inside
   DuckDB; the gate decides: **validated** (merges), **awaiting review** (held for a
   compliance reviewer: *request_review* triggers the `batch_review` DAG) or **rejected**
   (a critical expectation failed: nothing merges) → an HTML report per batch →
   *merge* numbers, contacts, lists, tags and opt-in consent events in one transaction.
3. **summarize**: a per-file summary (status, read, loaded, new, merged, duplicates, rejected
   by reason); the run fails, naming them, if any file did not reach a final status
   (merged, awaiting review, rejected).

Writing tasks share the `duckdb_writer` pool (one slot: DuckDB has one writer). A bad file
fails its own group without retries and leaves the warehouse untouched; the others go on.
Params: `inbox` (another folder), `as_of` (the rules' clock, ISO timestamp; default: the run's time).
See docs/warehouse.md for the tables, docs/inbox.md for manifests.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import Param, dag, get_current_context, task, task_group

from optline.tasks import imports
from optline.tasks.assets import CONSENT_EVENTS, CONTACTS, IMPORT_BATCHES, LISTS, REVIEW_REQUESTS
from optline.tasks.defaults import START_DATE, WRITER_POOL, default_args


@dag(
    dag_id="contact_import",
    schedule="0 2 * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args("data-team", max_retry_delay=timedelta(minutes=15)),
    tags=["optline", "import", "contacts"],
    params={
        "inbox": Param(None, type=["null", "string"], description="Folder to import from (default: OPTLINE_INBOX)"),
        "as_of": Param(None, type=["null", "string"],
                       description="Clock for the row rules, ISO 8601 (default: run time)"),
    },
    doc_md=__doc__,
)
def contact_import():
    @task
    def discover_files() -> list[dict]:
        return imports.discover_files(get_current_context())

    @task_group
    def import_file(inbox_file: dict):
        @task(pool=WRITER_POOL)
        def stage(inbox_file: dict) -> dict:
            return imports.stage_file(inbox_file, get_current_context())

        @task(pool=WRITER_POOL)
        def check(batch: dict) -> dict:
            return imports.check_batch(batch)

        @task(pool=WRITER_POOL)
        def validate(batch: dict) -> dict:
            return imports.validate_batch(batch, get_current_context())

        @task(outlets=[REVIEW_REQUESTS])
        def request_review(batch: dict) -> dict:
            return imports.request_review(batch)

        @task(pool=WRITER_POOL, outlets=[IMPORT_BATCHES, CONTACTS, LISTS, CONSENT_EVENTS])
        def merge(batch: dict) -> dict:
            return imports.merge_batch(batch)

        validated = validate(check(stage(inbox_file)))
        request_review(validated)
        return merge(validated)

    @task(pool=WRITER_POOL, trigger_rule="all_done", retries=0)
    def summarize(files: list[dict]) -> dict:
        return imports.summarize(files, get_current_context())

    files = discover_files()
    import_file.expand(inbox_file=files) >> summarize(files)


contact_import()
