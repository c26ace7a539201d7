"""The warehouse's guarantees on every backend (`backend`: a DuckDB file, a lake with a SQLite
catalog, a lake with a PostgreSQL catalog): all-or-nothing batches, unique contacts and
idempotency keys, an append-only ledger, and two writers racing on one warehouse.

The racing writers are real `optline` processes started together on one warehouse. On a
DuckDB file the second cannot open it and says so (one writer at a time); on a lake both run
and take turns (SQLite: the writer lock; PostgreSQL: the write guard refuses the second of two
conflicting commits, and that command is run again). Either way each batch lands whole, once.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from optline import warehouse
from optline.consent import ledger
from optline.contacts import pipeline
from optline.messaging import outbox
from optline.messaging.settings import WelcomeSettings
from optline.runs import RunContext
from tests.helpers import OPEN_GATE, warehouse_snapshot, write_csv

pytestmark = pytest.mark.usefixtures("backend")

OPTLINE = Path(sys.executable).with_name("optline")
AS_OF = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
HEADER = ["phone", "first_name", "last_name", "dob", "opt_in"]


def people(first: int, count: int) -> list[list[str]]:
    return [[f"(415) 555-{n:04d}", f"P{n}", "Lee", "1990-01-02", "2026-10-01"] for n in range(first, first + count)]


def duplicates(conn) -> list[tuple]:
    return conn.execute("""select e164, name_key, count(*) from core.contacts group by all having count(*) > 1
        union all select idempotency_key, null, count(*) from msg.outbox group by all having count(*) > 1
        union all select cast(batch_id as varchar), kind, count(*) from ops.reports group by all
            having count(*) > 1""").fetchall()


def test_a_malformed_file_leaves_every_backend_untouched(conn, data_dir):
    pipeline.import_file(conn, write_csv(data_dir / "inbox" / "good.csv", [HEADER, *people(100, 5)],
                                         policy_overrides=OPEN_GATE), RunContext(as_of=AS_OF), data_dir / "reports")
    before = warehouse_snapshot(conn)
    bad = data_dir / "inbox" / "bad.csv"
    bad.write_bytes(b"phone,first_name\n(415) 555-0200,Ann\n\"(415) 555-0201,unclosed\n")
    summary = pipeline.import_file(conn, bad, RunContext(as_of=AS_OF), data_dir / "reports")
    assert summary.error and "bad.csv" in summary.error
    assert warehouse_snapshot(conn) == before


def test_the_same_people_in_two_files_are_one_contact_each_and_a_welcome_is_queued_once(conn, data_dir):
    for name, first in (("a.csv", 100), ("b.csv", 103)):
        path = write_csv(data_dir / "inbox" / name, [HEADER, *people(first, 6)], policy_overrides=OPEN_GATE)
        assert pipeline.import_file(conn, path, RunContext(as_of=AS_OF), data_dir / "reports").error is None
    assert conn.execute("select count(*) from core.contacts").fetchone() == (9,)
    settings = WelcomeSettings()
    queued = outbox.enqueue_welcomes(conn, settings, AS_OF)
    again = outbox.enqueue_welcomes(conn, settings, AS_OF)
    assert queued.queued == 9 and again.queued == 0
    assert duplicates(conn) == []


def test_the_ledger_only_grows_whatever_happens_to_the_contacts(conn, data_dir):
    from optline.contacts.deletion import delete_contacts

    path = write_csv(data_dir / "inbox" / "a.csv", [HEADER, *people(100, 3)], policy_overrides=OPEN_GATE)
    pipeline.import_file(conn, path, RunContext(as_of=AS_OF), data_dir / "reports")
    ledger.append(conn, [ledger.Event("+14155550101", "all", "opt_out", AS_OF, "inbound", "STOP")])
    events = conn.execute("select * from core.consent_events order by all").fetchall()
    delete_contacts(conn, everyone=True, requested_by="dpo")
    ledger.append(conn, [ledger.Event("+14155550101", "all", "resubscribe", AS_OF, "inbound", "START")])
    after = conn.execute("select * from core.consent_events order by all").fetchall()
    assert [e for e in after if e in events] == events and len(after) == len(events) + 1


def run_together(commands: list[list[str]], cwd: Path) -> list[subprocess.CompletedProcess]:
    started = [subprocess.Popen(c, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for c in commands]
    return [subprocess.CompletedProcess(p.args, p.wait(timeout=600), *p.communicate()) for p in started]


def test_two_imports_racing_on_one_warehouse_each_land_whole_once(backend, data_dir):
    warehouse.connect().close()
    files = [write_csv(data_dir / "inbox" / f"{name}.csv", [HEADER, *people(first, 40)], policy_overrides=OPEN_GATE)
             for name, first in (("east", 100), ("west", 120))]  # 20 people in both files
    commands = [[str(OPTLINE), "import", "--as-of", AS_OF.isoformat(), str(f)] for f in files]
    done = run_together(commands, data_dir)
    for result, command in zip(done, commands, strict=True):
        if result.returncode != 0:  # the loser of the race says why, and a re-run finishes it
            said = result.stderr.lower()
            assert "busy" in said or "conflict" in said or "resumes" in result.stdout.lower(), result.stderr[-800:]
            assert subprocess.run(command, cwd=data_dir, capture_output=True, text=True,
                                  timeout=600).returncode == 0
    with warehouse.connect(read_only=True) as conn:
        assert conn.execute("select file_name, status from ops.batches order by 1").fetchall() == [
            ("east.csv", "merged"), ("west.csv", "merged")]
        assert conn.execute("select count(*) from core.contacts").fetchone() == (60,)
        assert duplicates(conn) == []
        members = conn.execute("select count(*), count(distinct contact_id) from core.memberships").fetchone()
        assert members == (60, 60)
