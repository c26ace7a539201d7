"""
### Warehouse maintenance

The warehouse's nightly upkeep, so that reads stay fast and deleted rows leave the disk:

1. **maintain** (`optline.warehouse.maintain`): on a lake (the default), inlined rows written to
   Parquet, data files with a tenth or more of their rows deleted rewritten, adjacent small
   files merged (every dispatcher batch and every small import leaves a few), snapshots older
   than `OPTLINE_LAKE_KEEP_DAYS` (default 7) expired, so time travel reaches back that far,
   and the files no snapshot needs deleted. On one DuckDB file: a checkpoint.

Every night at 03:45 UTC, in the `duckdb_writer` pool (no other writer runs meanwhile; analysts
keep reading). The task returns one line: files, bytes and snapshots before and after. Param:
`keep_days`. `optline maintain` does the same by hand. See docs/warehouse_backends.md.
"""

from __future__ import annotations

from airflow.sdk import Param, dag, get_current_context, task

from optline.tasks import maintenance
from optline.tasks.defaults import START_DATE, WRITER_POOL, default_args


@dag(
    dag_id="warehouse_maintenance",
    schedule="45 3 * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args("data-team"),
    tags=["optline", "warehouse"],
    params={
        "keep_days": Param(None, type=["null", "number"], minimum=0,
                           description="Days of snapshots a lake keeps (default: OPTLINE_LAKE_KEEP_DAYS, else 7)"),
    },
    doc_md=__doc__,
)
def warehouse_maintenance():
    @task(pool=WRITER_POOL)
    def maintain() -> str:
        return maintenance.maintain(get_current_context())

    maintain()


warehouse_maintenance()
