"""The inbound_messages DAG: its shape, and a real dag.test() run over the sample export.
(The house rules every DAG keeps, its writer pool among them, are in test_dag_integrity.py.)"""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest

from optline import warehouse
from optline.consent import inbound
from tests.dags import dagrun
from tests.helpers import warehouse_snapshot

pytestmark = pytest.mark.airflow

AS_OF = "2026-11-01T12:00:00+00:00"



def load_dag():
    return dagrun.load_dag("inbound_messages")


def test_dag_runs_often_with_its_tags_docs_params_and_assets():
    dag = load_dag()
    assert dag.schedule == "*/15 * * * *"
    assert {"optline", "inbound"} <= set(dag.tags) and "Inbound messages" in dag.doc_md
    assert set(dag.params) == {"inbox", "as_of"}
    assert set(dag.task_ids) == {"discover_files", "apply_file", "summarize"}
    apply = dag.get_task("apply_file")
    assert "optline.core.consent_events" in {a.name for a in apply.outlets}
    assert dag.get_task("summarize").trigger_rule == "all_done"


def test_a_run_applies_the_sample_export_and_writes_its_report(airflow_db, data_dir):
    inbound.write_samples(data_dir / "inbound", dt.date(2026, 11, 1))
    dag_run = load_dag().test(run_conf={"as_of": AS_OF})
    assert str(dag_run.state) == "success"

    with warehouse.connect(data_dir / "warehouse.duckdb", read_only=True) as conn:
        batch = conn.execute("""select batch_id, status, lines_read, messages_applied, messages_ignored,
            messages_invalid, opt_outs, opt_outs_over_limit, dag_id, run_id from ops.inbound_batches""").fetchall()
        assert len(batch) == 1
        batch_id, *counts, dag_id, run_id = batch[0]
        assert counts == ["applied", 8, 5, 3, 0, 2, 1]
        assert (dag_id, run_id) == ("inbound_messages", dag_run.run_id)
        suppressed = conn.execute("""select numbers.e164 from core.consent_state as state
            join core.phone_numbers as numbers using (number_hmac) where state.suppressed""").fetchall()
        assert suppressed == []  # the opted-out numbers never joined: the ledger names them by HMAC only
        assert conn.execute("select count(*) from core.consent_state where suppressed").fetchone()[0] == 2
        assert conn.execute("""select l.name, c.e164, m.status from core.memberships m join core.lists l using (list_id)
            join core.contacts c using (contact_id)""").fetchall() == [("Pizza Lovers", "+17025550116", "active")]
        assert conn.execute("select kind, e164 from msg.outbox order by kind").fetchall() == [
            ("help", "+17025550118"), ("welcome", "+17025550116")]
        before = warehouse_snapshot(conn)

    report = data_dir / "reports" / "inbound" / f"{batch_id:06d}"
    with (report / "opt_outs.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["number"], r["keyword"], r["business_days"], r["over_limit"]) for r in rows] == [
        ("'+•••••••••20", "QUIT", "14", "yes"), ("'+•••••••••15", "STOP", "0", "no")]
    assert json.loads((report / "summary.json").read_text())["opt_outs_over_limit"] == 1

    again = load_dag().test(run_conf={"as_of": AS_OF})
    assert str(again.state) == "success"
    with warehouse.connect(data_dir / "warehouse.duckdb", read_only=True) as conn:
        assert warehouse_snapshot(conn) == before


def test_a_malformed_export_fails_the_run_and_applies_nothing(airflow_db, data_dir):
    folder = data_dir / "inbound"
    folder.mkdir()
    (folder / "broken.csv").write_text('From,Body,Received At\n+17025550115,"STOP\n', encoding="utf-8")
    (folder / "_manifest.yaml").write_text("channel: sms\n", encoding="utf-8")
    dag_run = load_dag().test(run_conf={"as_of": AS_OF})
    assert str(dag_run.state) == "failed"
    with warehouse.connect(data_dir / "warehouse.duckdb", read_only=True) as conn:
        assert conn.execute("select count(*) from ops.inbound_batches").fetchone()[0] == 0
        assert conn.execute("select count(*) from core.consent_events").fetchone()[0] == 0
