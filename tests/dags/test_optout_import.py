"""The optout_import DAG: its shape, and real runs with dag.test() on a throwaway Airflow,
over the demo's sample contacts and opt-out file. (The house rules every DAG keeps, its writer
pool among them, are in test_dag_integrity.py.)"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from pathlib import Path

import pytest

from optline import samples, warehouse
from optline.consent import optouts
from optline.contacts import pipeline
from optline.runs import RunContext
from tests.dags import dagrun
from tests.helpers import warehouse_snapshot, write_csv

pytestmark = pytest.mark.airflow

AS_OF = "2026-11-01T12:00:00+00:00"
CLOCK = dt.datetime.fromisoformat(AS_OF)



def load_dag():
    return dagrun.load_dag("optout_import")


task_states = dagrun.task_states


def run_dag(inbox: Path | None = None):
    conf = {"as_of": AS_OF}
    if inbox:
        conf["inbox"] = str(inbox)
    return load_dag().test(run_conf=conf)


def read_warehouse(data_dir: Path):
    return warehouse.connect(data_dir / "warehouse.duckdb", read_only=True)


@pytest.fixture
def demo_contacts(data_dir: Path) -> Path:
    """The demo's store_events.xlsx imported by the contact pipeline; the demo's opt-out file
    in the opt-out inbox."""
    samples.write_samples(data_dir / "inbox", CLOCK.date())
    with warehouse.connect(data_dir / "warehouse.duckdb") as conn:
        merged = pipeline.import_file(conn, data_dir / "inbox" / "store_events.xlsx", RunContext(as_of=CLOCK),
                                      data_dir / "reports")
    assert merged.status == "merged"
    optouts.write_samples(data_dir / "optouts", CLOCK.date())
    return data_dir / "optouts"


# --- the DAG's shape -------------------------------------------------------------------------

def test_dag_runs_nightly_before_contact_import_with_its_params_and_assets():
    dag = load_dag()
    assert dag.schedule == "30 1 * * *"
    assert {"optline", "consent"} <= set(dag.tags)
    assert dag.doc_md and "Opt-out import" in dag.doc_md
    assert set(dag.params) == {"inbox", "as_of"}
    # test_dag_integrity puts apply_file and summarize (not discover_files) in the writer pool
    assert set(dag.task_ids) == {"discover_files", "apply_file", "summarize"}
    apply = dag.get_task("apply_file")
    assert "optline.core.consent_events" in {a.name for a in apply.outlets}
    assert dag.get_task("summarize").trigger_rule == "all_done"


# --- real runs -------------------------------------------------------------------------------

def test_a_run_applies_the_sample_file_and_a_later_import_refuses_its_numbers(airflow_db, data_dir, demo_contacts):
    dag_run = run_dag()  # the default inbox: $OPTLINE_DATA_DIR/optouts
    assert str(dag_run.state) == "success"
    assert task_states(dag_run) == {"discover_files": ["success"], "apply_file": ["success"],
                                    "summarize": ["success"]}

    with read_warehouse(data_dir) as conn:
        batch = conn.execute("""select batch_id, file_name, scope, lines_read, rows_matched, rows_suppressed_unmatched,
                rows_invalid, events_appended, dag_id, run_id from ops.optout_batches""").fetchall()
        assert [b[1:] for b in batch] == [("support_desk_unsubscribes.csv", "all", 6, 3, 1, 2, 4, "optout_import",
                                           dag_run.run_id)]
        batch_id = batch[0][0]
        # Tia (all), Uma (texts only), the unknown number (all), Sam by email (all)
        state = conn.execute("""select numbers.e164, state.channel, state.suppressed
            from staging.optout_numbers as numbers
            inner join core.consent_state as state on state.number_hmac = numbers.number_hmac
            where numbers.batch_id = ? order by 1, 2""", [batch_id]).fetchall()
        assert state == [("+14155550190", "sms", True), ("+14155550190", "whatsapp", True),
                         ("+16045550114", "sms", True), ("+16045550114", "whatsapp", True),
                         ("+17025550115", "sms", True), ("+17025550115", "whatsapp", True),
                         ("+17025550116", "sms", True)]
        assert conn.execute("select count(*) from core.consent_events where kind = 'opt_out'").fetchone()[0] == 4

    report = data_dir / "reports" / "optouts" / f"{batch_id:06d}"
    summary = json.loads((report / "summary.json").read_text())
    assert summary["invalid_by_reason"] == {"invalid_number": 1, "invalid_opt_out_date": 1}
    [run_summary] = (data_dir / "reports" / "optouts" / "runs").glob("*.json")
    assert json.loads(run_summary.read_text())[0]["status"] == "applied"

    later = write_csv(data_dir / "later" / "later.csv", [["phone", "first_name", "dob", "opt_in"],
                                                         ["(415) 555-0190", "New", "1990-01-01", "2026-10-30"],
                                                         ["702 555 0115", "Tia", "1995-02-03", "2026-10-30"],
                                                         ["(702) 555-0118", "Wes", "1998-02-03", "2026-10-30"]])
    with warehouse.connect(data_dir / "warehouse.duckdb") as conn:
        imported = pipeline.import_file(conn, later, RunContext(as_of=CLOCK), data_dir / "reports")
        reasons = conn.execute("select reason_code from staging.row_outcomes where batch_id = ? order by row_number",
                               [imported.batch_id]).fetchall()
    assert [r[0] for r in reasons] == ["previously_opted_out", "previously_opted_out", None]


def test_a_second_run_applies_nothing_and_a_malformed_file_fails_alone(airflow_db, data_dir, demo_contacts):
    assert str(run_dag().state) == "success"
    with read_warehouse(data_dir) as conn:
        before = warehouse_snapshot(conn)
    broken = demo_contacts / "broken.csv"
    broken.write_text('phone,date\n(415) 555-0196,"2026-10-20\n', encoding="utf-8")
    (demo_contacts / "broken.manifest.yaml").write_text("scope: sms\n", encoding="utf-8")

    again = run_dag()
    assert str(again.state) == "failed"
    states = task_states(again)
    assert sorted(states["apply_file"]) == ["failed", "success"]
    assert states["summarize"] == ["failed"]
    with read_warehouse(data_dir) as conn:
        assert warehouse_snapshot(conn) == before

    with sqlite3.connect(airflow_db / "airflow.db") as db:
        xcoms = "\n".join(str(v) for (v,) in db.execute("select value from xcom where run_id = ?", (again.run_id,)))
    assert "already applied" in xcoms
    assert not re.search(r"555.?01\d\d", xcoms)


def test_a_run_without_an_optout_inbox_succeeds_and_writes_nothing(airflow_db, data_dir):
    dag_run = run_dag(inbox=data_dir / "no_such_folder")
    assert str(dag_run.state) == "success"
    with read_warehouse(data_dir) as conn:
        assert conn.execute("select count(*) from ops.optout_batches").fetchone()[0] == 0
