"""The warehouse, its WAL, the reports and the HMAC key file are readable by their owner only:
files 0600, folders 0700, checked by stat after real imports into a real DuckDB file."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

import duckdb
import pytest

from optline import config, warehouse
from optline.contacts import pipeline
from optline.intake.summary import write_run_summary
from optline.runs import RunContext
from tests.helpers import write_csv

AS_OF = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)
HEADER = ["phone", "first_name", "dob", "opt_in"]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask():
    """Start from the usual umask (022: files 0644), whatever an earlier test set."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_an_import_leaves_the_warehouse_its_wal_and_every_report_owner_only(data_dir, permissive_umask):
    good = [[f"(415) 555-{n:04d}", f"Ann{n}", "1990-01-02", "2026-10-01"] for n in range(1, 10)]
    write_csv(data_dir / "inbox" / "ok.csv", [HEADER, *good], policy_overrides={})
    write_csv(data_dir / "inbox" / "held.csv", [HEADER, *good[:5], *[["555-0100", "X", "1990-01-02", ""]] * 2],
              policy_overrides={})
    conn = warehouse.connect()
    try:
        run = RunContext(as_of=AS_OF, dag_id="contact_import", run_id="modes")
        summaries = [pipeline.import_file(conn, data_dir / "inbox" / name, run, data_dir / "reports")
                     for name in ("ok.csv", "held.csv")]
        write_run_summary(summaries, data_dir / "reports" / "runs" / "modes.json")
        conn.execute("create table if not exists staging.mode_probe (a int)")  # a write after the checkpoint
        wal = data_dir / "warehouse.duckdb.wal"
        assert wal.exists()
        assert oct(mode(wal)) == oct(0o600)
    finally:
        conn.close()
    assert oct(mode(data_dir / "warehouse.duckdb")) == oct(0o600)
    reports = data_dir / "reports"
    files = [p for p in reports.rglob("*") if p.is_file()]
    folders = [reports, *(p for p in reports.rglob("*") if p.is_dir())]
    assert {p.name for p in files} == {"report.html", "rejects.csv", "rejects_summary.json", "modes.json"}
    assert {str(p.relative_to(data_dir)): oct(mode(p)) for p in files if mode(p) != 0o600} == {}
    assert {str(p.relative_to(data_dir)): oct(mode(p)) for p in folders if mode(p) != 0o700} == {}


def test_a_warehouse_opened_by_airflows_hook_is_made_owner_only(tmp_path, permissive_umask):
    path = tmp_path / "hook.duckdb"
    conn = duckdb.connect(str(path))  # what DuckDBHook.get_conn does
    assert mode(path) == 0o644
    try:
        warehouse.prepare(conn)
        assert oct(mode(path)) == oct(0o600)
        conn.execute("create table staging.mode_probe (a int)")
        assert oct(mode(tmp_path / "hook.duckdb.wal")) == oct(0o600)
    finally:
        conn.close()


def test_the_hmac_key_file_is_written_owner_only(data_dir, monkeypatch, permissive_umask):
    monkeypatch.delenv("OPTLINE_HMAC_KEY_FILE", raising=False)
    path, created = config.init_hmac_key()
    assert created and oct(mode(path)) == oct(0o600)
