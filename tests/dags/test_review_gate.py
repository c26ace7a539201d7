"""The compliance gate with real Airflow runs: pass, hold-then-approve, hold-then-refuse,
timeout, and critical rejection, each asserting the warehouse state after it. (The house rules
every DAG keeps, batch_review's writer pool and its review task's retries among them, are in
test_dag_integrity.py.)"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

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
    with warehouse.connect(data_dir / "warehouse.duckdb", read_only=True) as conn:
        return dict(conn.execute("select file_name, status from ops.batches").fetchall())


def contacts(data_dir: Path) -> set[str]:
    with warehouse.connect(data_dir / "warehouse.duckdb", read_only=True) as conn:
        return {r[0] for r in conn.execute("select first_name from core.contacts").fetchall()}


def decisions(data_dir: Path, file_name: str) -> list[tuple[str, str]]:
    with warehouse.connect(data_dir / "warehouse.duckdb", read_only=True) as conn:
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
    with warehouse.connect(data_dir / "warehouse.duckdb", read_only=True) as conn:
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
    # the request says why as the rule that failed, and its timeout in the report's unit
    assert "Why: 18.2% of the rows rejected, above the review limit of 10.0%" in thread.body  # 2 of 11
    assert "within 48 hours the batch is refused" in thread.body


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


# --- reviews never wait on each other --------------------------------------------------------

def hold_second_batch(data_dir: Path) -> None:
    """A second import holds late.csv (a 3-second review timeout) while held.csv awaits its reviewer."""
    rows = [good(n, "Late") for n in range(110, 119)] + [["555-0101", "Y", "1990-01-02", "2026-10-01"]] * 2
    path = write_csv(data_dir / "inbox" / "late.csv", [HEADER, *rows],
                     policy_overrides={"gate": {"review_timeout_minutes": 0.05}})
    conn = warehouse.connect()
    try:
        run = RunContext(as_of=dt.datetime.fromisoformat(AS_OF), dag_id="contact_import", run_id="r1")
        summary = pipeline.import_file(conn, path, run, data_dir / "reports")
    finally:
        conn.close()
    assert summary.status == "awaiting_review"


def test_a_batch_held_while_another_awaits_its_reviewer_is_asked_at_once_and_only_once(
        airflow_db, data_dir, tmp_path):
    from tests.dags import parallel_reviews

    dag = dagrun.load_dag("batch_review")
    hold_a_batch(data_dir)
    helper = parallel_reviews.second_run_while_first_waits(lambda: hold_second_batch(data_dir),
                                                           tmp_path / "second_run.log")
    dag_run = dag.test()
    helper.join(60)
    parked = helper.parked_at_once
    # Both questions open at the same time, one per run, each batch asked about once.
    asked = sorted(t["subject"].split(" (")[1].split(")")[0] for t in parked)
    assert asked == ["held.csv", "late.csv"], (parked, helper.errors)
    assert len({t["run_id"] for t in parked}) == 2, parked
    assert helper.errors == [], (tmp_path / "second_run.log").read_text()[-3000:]
    assert helper.second_rc == 0, (tmp_path / "second_run.log").read_text()[-3000:]
    assert str(dag_run.state) == "success"
    assert statuses(data_dir) == {"held.csv": "merged", "late.csv": "refused"}
    assert decisions(data_dir, "held.csv")[-1] == ("approved", reviewer.REVIEWER)
    assert decisions(data_dir, "late.csv")[-1] == ("refused", "timeout")
    # Under the scheduler the second run (late.csv's Asset event) starts only below this cap;
    # dag.test() above does not apply it.
    assert dag.max_active_runs > 1


# --- who decides: assigned reviewers, their Airflow identity, four eyes ----------------------

def assign_reviewers(tmp_path: Path, monkeypatch, *user_ids: str) -> None:
    """An access settings file naming the Airflow users batch_review asks."""
    path = tmp_path / "access.yaml"
    path.write_text(yaml.safe_dump({"review": {"airflow_users": list(user_ids)}}), encoding="utf-8")
    monkeypatch.setenv("OPTLINE_ACCESS_CONFIG", str(path))


def decided_by_ids(data_dir: Path, file_name: str) -> list[tuple[str, str, str | None]]:
    with warehouse.connect(data_dir / "warehouse.duckdb", read_only=True) as conn:
        return conn.execute("""select d.decision, d.decided_by, d.decided_by_id from ops.batch_decisions d
            join ops.batches b using (batch_id) where b.file_name = ? order by d.decided_at""", [file_name]).fetchall()


def test_the_review_is_assigned_to_the_configured_reviewers_and_records_the_airflow_user_id(
        airflow_db, data_dir, tmp_path, monkeypatch):
    assign_reviewers(tmp_path, monkeypatch, reviewer.REVIEWER, "lee")
    hold_a_batch(data_dir)
    thread = reviewer.answer("Approve")
    dag_run = dagrun.load_dag("batch_review").test()
    thread.join(5)
    assert thread.errors == []
    assert str(dag_run.state) == "success"
    assert [u["id"] for u in thread.assigned_users] == [reviewer.REVIEWER, "lee"]
    assert decided_by_ids(data_dir, "held.csv")[-1] == ("approved", reviewer.REVIEWER, reviewer.REVIEWER)
    assert statuses(data_dir) == {"held.csv": "merged"}


def test_a_user_the_review_is_not_assigned_to_cannot_answer_it(airflow_db, data_dir, tmp_path, monkeypatch):
    assign_reviewers(tmp_path, monkeypatch, "lee")
    hold_a_batch(data_dir, review_timeout_minutes=0.05)
    thread = reviewer.answer("Approve")   # as REVIEWER, who is not assigned
    dag_run = dagrun.load_dag("batch_review").test()
    thread.join(5)
    assert len(thread.errors) == 1 and "is not a respondent for the task" in thread.errors[0]
    assert str(dag_run.state) == "success"
    assert statuses(data_dir) == {"held.csv": "refused"}
    assert decisions(data_dir, "held.csv")[-1] == ("refused", "timeout")


def test_four_eyes_the_importer_cannot_approve_and_the_batch_stays_held(airflow_db, data_dir):
    path = write_held(data_dir, four_eyes=True)
    conn = warehouse.connect()
    try:
        run = RunContext(as_of=dt.datetime.fromisoformat(AS_OF), dag_id="contact_import", run_id="r0",
                         imported_by=reviewer.REVIEWER)
        assert pipeline.import_file(conn, path, run, data_dir / "reports").status == "awaiting_review"
    finally:
        conn.close()
    thread = reviewer.answer("Approve")
    dag_run = dagrun.load_dag("batch_review").test()
    thread.join(5)
    assert thread.errors == []
    assert str(dag_run.state) == "failed"
    assert dagrun.task_states(dag_run)["review_batch.record"] == ["failed"]
    assert statuses(data_dir) == {"held.csv": "awaiting_review"}
    assert contacts(data_dir) == set()
    with warehouse.connect(data_dir / "warehouse.duckdb", read_only=True) as conn:
        last = conn.execute("""select decision, decided_by, decided_by_id, reason from ops.batch_decisions
            order by decided_at desc limit 1""").fetchone()
    assert last[:3] == ("awaiting_review", reviewer.REVIEWER, reviewer.REVIEWER) and "four eyes" in last[3]
