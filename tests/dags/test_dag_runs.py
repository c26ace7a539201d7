"""`optline.tasks.dag_runs` through `optline.demo.DagRuns`: real DAG runs (dag.test()) one after
another in one process, each recorded in Airflow's metadata database with its own log."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.airflow


def test_runs_in_one_runner_process_are_real_dag_runs_each_with_its_own_log(airflow_db, data_dir):
    from airflow.models.dagrun import DagRun

    from optline import warehouse
    from optline.demo import DagRuns

    with DagRuns(data_dir / "logs") as runs:
        first = runs.run("warehouse_maintenance")  # writes the warehouse (a DuckDB file: one process at a time)
        # between runs the runner holds no handle on it: the demo's summaries open it here
        warehouse.connect(data_dir / "warehouse.duckdb", read_only=True).close()
        unknown = runs.run("no_such_dag")
        second = runs.run("warehouse_maintenance")
    assert (first.state, second.state) == ("success", "success"), (first, second)
    assert first.run_id != second.run_id
    assert unknown.state == "error" and "no DAG 'no_such_dag' in the DAG folder" in unknown.error
    for result in (first, second):
        [recorded] = DagRun.find(dag_id="warehouse_maintenance", run_id=result.run_id)
        assert recorded.state == "success"
        log = result.log_file.read_text(encoding="utf-8")
        assert f"run_id={result.run_id}" in log and "[DAG TEST] end task" in log
    assert first.log_file != second.log_file
    assert runs.runner_log.read_text(encoding="utf-8").count("Filling up the DagBag") == 1  # parsed once, started once
