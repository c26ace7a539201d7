"""The warehouse_maintenance DAG: a real dag.test() run on a lake merges what small writes left."""

from __future__ import annotations

from pathlib import Path

import pytest

from optline import warehouse
from tests.dags import dagrun
from tests.optline.test_maintenance import files, small_writes, tags

pytestmark = pytest.mark.airflow


def test_dag_runs_nightly_in_the_writer_pool():
    dag = dagrun.load_dag("warehouse_maintenance")
    assert dag.schedule == "45 3 * * *"
    assert {task.task_id: task.pool for task in dag.tasks} == {"maintain": "duckdb_writer"}


def test_a_run_on_a_lake_merges_the_small_files_and_keeps_every_row(airflow_db, data_dir: Path, monkeypatch):
    monkeypatch.setenv("OPTLINE_WAREHOUSE_FORMAT", "ducklake")
    monkeypatch.delenv("OPTLINE_LAKE_CATALOG", raising=False)
    with warehouse.connect(data_dir / "warehouse.duckdb") as conn:
        small_writes(conn)
        before, files_before = tags(conn), files(conn)
    dag_run = dagrun.load_dag("warehouse_maintenance").test(run_conf={"keep_days": 0})
    assert dagrun.task_states(dag_run) == {"maintain": ["success"]}
    with warehouse.connect(data_dir / "warehouse.duckdb", read_only=True) as conn:
        assert tags(conn) == before
        assert files(conn) == (1, 0), f"before the run: {files_before}"
