"""The list_touchups DAG: its shape, and real runs with dag.test() on a throwaway Airflow, over
the demo's sample contacts, opt-outs and touch-up file. (The house rules every DAG keeps, its
writer pool among them, are in test_dag_integrity.py.)"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from pathlib import Path

import pytest

from optline import samples, warehouse
from optline.consent import optouts
from optline.contacts import listops, pipeline
from optline.messaging import outbox
from optline.messaging.settings import WelcomeSettings
from optline.runs import RunContext
from tests.dags import dagrun
from tests.helpers import warehouse_snapshot

pytestmark = pytest.mark.airflow

AS_OF = "2026-11-01T12:00:00+00:00"
CLOCK = dt.datetime.fromisoformat(AS_OF)


def load_dag():
    return dagrun.load_dag("list_touchups")


def run_dag(inbox: Path | None = None):
    conf = {"as_of": AS_OF}
    if inbox:
        conf["inbox"] = str(inbox)
    return load_dag().test(run_conf=conf)


def read_warehouse(data_dir: Path):
    return warehouse.connect(data_dir / "warehouse.duckdb", read_only=True)


@pytest.fixture
def demo_touchups(data_dir: Path) -> Path:
    """The demo's store_events.xlsx imported, its opt-out file applied, and the sample touch-up
    file in the touch-up inbox."""
    samples.write_samples(data_dir / "inbox", CLOCK.date())
    optouts.write_samples(data_dir / "optouts", CLOCK.date())
    with warehouse.connect(data_dir / "warehouse.duckdb") as conn:
        merged = pipeline.import_file(conn, data_dir / "inbox" / "store_events.xlsx", RunContext(as_of=CLOCK),
                                      data_dir / "reports")
        assert merged.status == "merged"
        optouts.apply_inbox(conn, data_dir / "optouts", RunContext(as_of=CLOCK), data_dir / "reports")
    listops.write_samples(data_dir / "touchups", CLOCK.date())
    return data_dir / "touchups"


def test_dag_runs_hourly_updates_the_memberships_and_the_ledger_so_welcomes_follow():
    dag = load_dag()
    assert dag.schedule == "20 * * * *"
    assert {"optline", "consent"} <= set(dag.tags)
    assert dag.doc_md and "List touch-ups" in dag.doc_md
    assert set(dag.params) == {"inbox", "as_of"}
    assert set(dag.task_ids) == {"discover_files", "apply_file"}
    assert {a.name for a in dag.get_task("apply_file").outlets} == {"optline.core.memberships",
                                                                    "optline.core.consent_events"}
    welcome = dagrun.load_dag("welcome_messages")
    assert "optline.core.memberships" in str(welcome.timetable.asset_condition)


def test_a_run_applies_the_sample_file_with_lineage_and_a_second_changes_nothing(airflow_db, data_dir, demo_touchups):
    dag_run = run_dag()  # the default inbox: $OPTLINE_DATA_DIR/touchups
    assert str(dag_run.state) == "success"
    assert dagrun.task_states(dag_run) == {"discover_files": ["success"], "apply_file": ["success"]}

    with read_warehouse(data_dir) as conn:
        [(batch_id, lines, applied, rejected, pending, active, events, dag_id, run_id)] = conn.execute(
            """select batch_id, lines_read, rows_applied, rows_rejected, members_pending, members_active,
                events_appended, dag_id, run_id from ops.touchup_batches""").fetchall()
        assert (lines, dag_id, run_id) == (8, "list_touchups", dag_run.run_id)
        rows = conn.execute("""select row_number, line_number, action, outcome, reason from staging.touchup_rows
            where batch_id = ? order by row_number""", [batch_id]).fetchall()
        assert rows == [
            (1, 2, "add_member", "applied", None), (2, 3, "add_member", "applied", None),
            (3, 4, "add_tag", "applied", None), (4, 5, "suspend", "applied", None),
            (5, 6, "add_member", "rejected", "previously_opted_out"),
            (6, 7, "add_member", "rejected", "unknown_number"),
            (7, 8, "add_member", "rejected", "future_opted_in_at"),
            (8, 9, "delete_everything", "rejected", "unknown_action")]
        assert (applied, rejected, pending, active, events) == (4, 4, 1, 1, 1)
        vip = conn.execute("""select c.first_name, m.status from core.memberships m join core.lists l using (list_id)
            join core.contacts c using (contact_id) where l.name = 'VIP Club' order by 1""").fetchall()
        assert vip == [("Ann", "pending"), ("Oli", "active")]
        assert conn.execute("""select kind, method, source from core.consent_events where batch_id = ?""",
                            [batch_id]).fetchall() == [("opt_in", "touchup", "paper sign-up sheet, store 12")]
    assert (data_dir / "reports" / "touchups" / f"{batch_id:06d}" / "rows.csv").is_file()

    with warehouse.connect(data_dir / "warehouse.duckdb") as conn:
        queued = outbox.enqueue_welcomes(conn, WelcomeSettings(), CLOCK)
        assert queued.by_list.get("VIP Club") == 1  # Ann's welcome; Oli gave evidence, Tia is suppressed
        before = warehouse_snapshot(conn)

    again = run_dag()
    assert str(again.state) == "success"
    with read_warehouse(data_dir) as conn:
        assert warehouse_snapshot(conn) == before
    with sqlite3.connect(airflow_db / "airflow.db") as db:
        xcoms = "\n".join(str(v) for (v,) in db.execute("select value from xcom where run_id = ?", (again.run_id,)))
    assert "already applied" in xcoms
    assert not re.search(r"555.?01\d\d", xcoms)


def test_a_run_without_a_touchup_inbox_succeeds_and_writes_nothing(airflow_db, data_dir):
    dag_run = run_dag(inbox=data_dir / "no_such_folder")
    assert str(dag_run.state) == "success"
    assert not (data_dir / "warehouse.duckdb").exists()
