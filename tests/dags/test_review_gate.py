"""The compliance gate with real Airflow runs: pass, hold-then-approve, hold-then-refuse,
timeout, and critical rejection, each asserting the warehouse state after it. (The house rules
every DAG keeps, batch_review's writer pool and its review task's retries among them, are in
test_dag_integrity.py.)"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from optline import warehouse
from optline.contacts import pipeline
from optline.runs import RunContext
from tests.dags import dagrun, reviewer
from tests.helpers import write_csv

pytestmark = pytest.mark.airflow

AS_OF = "2026-11-01T12:00:00+00:00"
HEADER = ["phone", "first_name", "dob", "opt_in"]


def good(n: int, first: str = "Ann") -> list[str]:
    return [f"(415) 555-{n:04d}", f"{first}{n}", "1990-01-02", "2026-10-01"]


def statuses(data_dir: Path) -> dict[str, str]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as conn:
        return dict(conn.execute("select file_name, status from ops.batches").fetchall())


def contacts(data_dir: Path) -> set[str]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as conn:
        return {r[0] for r in conn.execute("select first_name from core.contacts").fetchall()}


def decisions(data_dir: Path, file_name: str) -> list[tuple[str, str]]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as conn:
        return conn.execute("""select d.decision, d.decided_by from ops.batch_decisions d
            join ops.batches b using (batch_id) where b.file_name = ? order by d.decided_at""", [file_name]).fetchall()


def write_held(data_dir: Path, **gate) -> Path:
    """9 good rows and 2 invalid: 18 % rejected, over the default 10 % review share."""
    rows = [good(n, "Held") for n in range(100, 109)] + [["555-0100", "X", "1990-01-02", "2026-10-01"]] * 2
    overrides = {"gate": gate} if gate else {}
    return write_csv(data_dir / "inbox" / "held.csv", [HEADER, *rows], policy_overrides=overrides)


def hold_a_batch(data_dir: Path, **gate) -> None:
    """Import held.csv through the library (the import DAG is tested below) so it awaits review."""
    path = write_held(data_dir, **gate)
    conn = warehouse.connect()
    try:
        run = RunContext(as_of=dt.datetime.fromisoformat(AS_OF), dag_id="contact_import", run_id="r0")
        summary = pipeline.import_file(conn, path, run, data_dir / "reports")
    finally:
        conn.close()
    assert summary.status == "awaiting_review"


def test_one_run_passes_one_batch_holds_one_and_rejects_one(airflow_db, data_dir):
    write_csv(data_dir / "inbox" / "pass.csv", [HEADER, *[good(n, "Pass") for n in range(1, 11)]],
              policy_overrides={})
    write_held(data_dir)
    no_opt_in = [[f"(415) 555-{n:04d}", f"Bad{n}", "1990-01-02", ""] for n in range(200, 210)]
    write_csv(data_dir / "inbox" / "bad.csv", [HEADER, good(300, "Bad"), *no_opt_in], policy_overrides={})

    dag_run = dagrun.load_dag("contact_import").test(run_conf={"as_of": AS_OF})
    assert str(dag_run.state) == "success"
    assert statuses(data_dir) == {"pass.csv": "merged", "held.csv": "awaiting_review", "bad.csv": "rejected"}
    assert contacts(data_dir) == {f"Pass{n}" for n in range(1, 11)}
    assert decisions(data_dir, "bad.csv") == [("rejected", "gate")]
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as conn:
        failed = conn.execute("""select r.severity, r.column_name from ops.expectation_results r
            join ops.batches b using (batch_id) where b.file_name = 'bad.csv' and not r.success
            order by 1, 2""").fetchall()
        assert ("critical", "missing_opt_in_share") in failed
        reports = conn.execute("select count(*) from ops.reports where kind = 'review_html'").fetchone()[0]
        assert reports == 3


def test_a_held_batch_approved_by_a_reviewer_merges(airflow_db, data_dir):
    hold_a_batch(data_dir)
    thread = reviewer.answer("Approve")
    dag_run = dagrun.load_dag("batch_review").test()
    thread.join(5)
    assert thread.errors == []
    assert str(dag_run.state) == "success"
    assert statuses(data_dir) == {"held.csv": "merged"}
    assert contacts(data_dir) == {f"Held{n}" for n in range(100, 109)}
    assert decisions(data_dir, "held.csv") == [("awaiting_review", "gate"), ("approved", reviewer.REVIEWER)]


def test_a_held_batch_refused_by_a_reviewer_merges_nothing(airflow_db, data_dir):
    hold_a_batch(data_dir)
    thread = reviewer.answer("Refuse")
    dag_run = dagrun.load_dag("batch_review").test()
    thread.join(5)
    assert thread.errors == []
    assert str(dag_run.state) == "success"
    assert statuses(data_dir) == {"held.csv": "refused"}
    assert contacts(data_dir) == set()
    assert decisions(data_dir, "held.csv")[-1] == ("refused", reviewer.REVIEWER)


def test_a_held_batch_nobody_answers_is_refused_at_the_policy_timeout(airflow_db, data_dir):
    hold_a_batch(data_dir, review_timeout_minutes=0.05)  # 3 seconds
    thread = reviewer.sweep_timeouts()
    dag_run = dagrun.load_dag("batch_review").test()
    thread.join(5)
    assert thread.errors == []
    assert str(dag_run.state) == "success"
    assert statuses(data_dir) == {"held.csv": "refused"}
    assert contacts(data_dir) == set()
    assert decisions(data_dir, "held.csv")[-1] == ("refused", "timeout")


def test_batch_review_dag_asks_in_a_mapped_group_then_records_and_merges():
    dag = dagrun.load_dag("batch_review")
    assert "optline.review_requests" in str(dag.timetable.asset_condition)
    review = dag.get_task("review_batch.review")
    assert review.options == ["Approve", "Refuse"] and review.defaults == ["Refuse"]
    # test_dag_integrity puts every task but the question (review) in the writer pool
    assert set(dag.task_ids) == {"held_batches", "review_batch.review", "review_batch.record", "review_batch.merge"}


def test_airflow_loads_the_reports_plugin_with_its_pages():
    from airflow import plugins_manager

    loaded, errors = plugins_manager._get_plugins()  # what the api-server mounts
    assert errors == {}
    plugins = {p.name: p for p in loaded}
    plugin = plugins["optline_reports"]
    app = plugin.fastapi_apps[0]
    assert app["url_prefix"] == "/optline"
    paths = {route.path for route in app["app"].routes}
    assert {"/reviews", "/batches/{batch_id}/report", "/batches/{batch_id}/rejects.csv"} <= paths
    assert plugin.external_views[0]["href"] == "/optline/reviews"
