"""Analysts query the warehouse whenever they like and a run never notices them (issue 12).

An analyst session, opened the documented way (`optline analyst-sql`, then those statements
in a plain DuckDB client: here a notebook-style Python process with only `duckdb`), is open
before a real `dag.test()` run and queries every half second throughout. The run must succeed
with no task retried, every query must answer, and every count it sees must be one the
warehouse committed: the lake keeps every snapshot, so the committed totals are read back by
time travel (`at (version => v)`) after the run, independently of the pipeline.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.dags import dagrun
from tests.helpers import OPEN_GATE

pytestmark = pytest.mark.airflow

AS_OF = "2026-11-01T12:00:00+00:00"

ANALYST = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    import duckdb

    statements, query, out, stop = sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
    con = duckdb.connect()
    for statement in Path(statements).read_text().split(";"):
        if statement.strip():
            con.execute(statement)
    with out.open("w") as fh:
        while True:
            finished = stop.exists()
            try:
                fh.write(json.dumps({"ok": True, "value": con.execute(query).fetchone()[0]}) + "\\n")
            except Exception as exc:  # every failure is an observation the test reports
                fh.write(json.dumps({"ok": False, "error": str(exc)[:300]}) + "\\n")
            fh.flush()
            if finished:
                break
            time.sleep(0.5)
""")


@pytest.fixture
def lake_dir(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OPTLINE_WAREHOUSE_FORMAT", "ducklake")
    return data_dir


class Analyst:
    """A separate process holding one read-only session open, querying every 0.5 s."""

    def __init__(self, folder: Path, query: str) -> None:
        self.statements = folder / "analyst.sql"
        self.out, self.stop_file = folder / "analyst.jsonl", folder / "analyst.stop"
        self.out.unlink(missing_ok=True)
        self.stop_file.unlink(missing_ok=True)
        done = subprocess.run([str(Path(sys.executable).with_name("optline")), "analyst-sql", "--init-file",
                               str(self.statements)], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        self.process = subprocess.Popen([sys.executable, "-c", ANALYST, str(self.statements), query,
                                         str(self.out), str(self.stop_file)])
        deadline = time.monotonic() + 60
        while not (self.out.exists() and self.out.read_text().strip()):
            assert self.process.poll() is None and time.monotonic() < deadline, "the analyst session did not start"
            time.sleep(0.1)

    def finish(self) -> list[dict]:
        self.stop_file.touch()
        self.process.wait(timeout=60)
        return [json.loads(line) for line in self.out.read_text().splitlines()]


def committed_totals(query: str) -> set[int]:
    """The value of `query` (over `{at}`-marked tables) at every snapshot the lake committed."""
    from optline import warehouse

    conn = warehouse.connect(read_only=True)
    try:
        versions = [v for (v,) in conn.execute(
            "select snapshot_id from ducklake_snapshots(current_database())").fetchall()]
        totals = set()
        for version in versions:
            try:
                totals.add(conn.execute(query.format(at=f"at (version => {version})")).fetchone()[0])
            except Exception:  # noqa: BLE001 - a snapshot from before the table existed
                continue
        return totals
    finally:
        conn.close()


def retried(dag_run) -> list[str]:
    from airflow.utils.session import create_session

    with create_session() as session:
        return [f"{ti.task_id}[{ti.map_index}] try {ti.try_number}"
                for ti in dag_run.get_task_instances(session=session) if (ti.try_number or 1) > 1]


def test_an_open_analyst_session_never_fails_a_contact_import_and_sees_only_committed_totals(
        lake_dir, airflow_db):
    from optline import samples, warehouse

    warehouse.connect().close()  # the lake exists before the analyst opens it
    samples.write_bulk_csv(lake_dir / "inbox" / "bulk.csv", 100_000, as_of=dt.date(2026, 11, 1))
    manifest = lake_dir / "inbox" / "bulk.manifest.yaml"
    manifest.write_text(manifest.read_text() + "policy_overrides: " + json.dumps(OPEN_GATE) + "\n")
    analyst = Analyst(lake_dir, "select count(*) from core.contacts")

    dag_run = dagrun.load_dag("contact_import").test(run_conf={"as_of": AS_OF})

    seen = analyst.finish()
    assert str(dag_run.state) == "success", dagrun.task_states(dag_run)
    assert retried(dag_run) == []
    failures = [s["error"] for s in seen if not s["ok"]]
    assert failures == [], failures[:3]
    totals = committed_totals("select count(*) from core.contacts {at}")
    values = [s["value"] for s in seen]
    assert set(values) <= totals, (sorted(set(values) - totals)[:5], sorted(totals))
    assert values[0] == 0 and values[-1] > 90_000  # the session spanned the whole run
    assert len(seen) >= 4


def test_an_open_analyst_session_never_fails_message_dispatch_or_inbound_messages(lake_dir, airflow_db):
    """The same with the dispatcher (claims and records in batches) and the inbound texts (the
    ledger) writing: the demo's inputs, an analyst counting what is sent and what the ledger
    holds, every count one the lake committed."""
    from optline import demo, samples
    from optline.consent import inbound

    today = dt.date.today()
    samples.write_samples(lake_dir / "inbox", today)
    for dag_id in ("contact_import", "welcome_messages"):
        assert str(dagrun.load_dag(dag_id).test().state) == "success", dag_id
    send_conf = {"as_of": demo.demo_clock(today).isoformat()}
    sent = "select count(*) filter (where status = 'sent') from msg.outbox{at}"
    ledger = "select count(*) from core.consent_events{at}"

    for dag_id, query, conf, prepare in (
            ("message_dispatch", sent, send_conf, None),
            ("inbound_messages", ledger, {}, lambda: inbound.write_samples(inbound.inbox(), today))):
        if prepare:
            prepare()
        analyst = Analyst(lake_dir, query.format(at=""))
        dag_run = dagrun.load_dag(dag_id).test(run_conf=conf)
        seen = analyst.finish()
        assert str(dag_run.state) == "success", (dag_id, dagrun.task_states(dag_run))
        assert retried(dag_run) == [], dag_id
        assert [s["error"] for s in seen if not s["ok"]] == [], dag_id
        values = [s["value"] for s in seen]
        totals = committed_totals(query.format(at=" {at}"))
        assert set(values) <= totals, (dag_id, sorted(set(values) - totals)[:5])
        assert values[-1] > values[0], f"{dag_id}: the session saw the run's commits"
