"""The optline command line: helpful --help, imports without Airflow, read-only queries."""

from __future__ import annotations

import datetime as dt
import os
import pwd
import re
import subprocess
import sys
from pathlib import Path

import pytest

from optline.cli import main

OPTLINE = Path(sys.executable).with_name("optline")


def test_help_lists_every_command():
    out = subprocess.run([str(OPTLINE), "--help"], capture_output=True, text=True, check=True).stdout
    for command in ("demo", "samples", "import", "summary", "query"):
        assert command in out


def test_import_then_summary_then_query_on_the_sample_inbox(data_dir, capsys):
    assert main(["samples"]) == 0
    assert main(["import"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line.split()[1] for line in out.splitlines() if line.split()[:1]
             and line.split()[0].endswith((".csv", ".xlsx", ".txt"))}
    assert lines == {"spring_signups.csv": "rejected", "store_events.xlsx": "merged",
                     "uk_keyword_numbers.txt": "awaiting_review"}

    assert main(["summary"]) == 0
    assert "awaiting_review" in capsys.readouterr().out

    assert main(["query", "select string_agg(name, '|' order by name) as lists from core.lists"]) == 0
    assert "In-Store Events|spring promo" in capsys.readouterr().out


def test_query_cannot_write_to_the_warehouse(data_dir, capsys):
    main(["samples"])
    main(["import"])
    with pytest.raises(Exception, match="read-only"):
        main(["query", "delete from core.contacts"])


def test_import_of_a_broken_file_exits_non_zero_and_names_the_line(data_dir, capsys):
    bad = data_dir / "inbox" / "bad.csv"
    bad.write_text('phone\n"(415) 555-0101\n', encoding="utf-8")
    (data_dir / "inbox" / "bad.manifest.yaml").write_text("lists: [X]\n", encoding="utf-8")
    assert main(["import"]) == 1
    assert "bad.csv, line 2" in capsys.readouterr().out


def test_summary_before_any_import_says_what_to_do(data_dir, capsys):
    assert main(["summary"]) == 2
    assert "make demo" in capsys.readouterr().err


def test_review_lists_the_held_batch_and_approving_it_merges(data_dir, capsys):
    main(["samples"])
    main(["import"])
    capsys.readouterr()
    assert main(["review"]) == 0
    listing = capsys.readouterr().out
    assert "uk_keyword_numbers.txt" in listing and "store_events.xlsx" not in listing
    held = int(listing.split()[1])
    assert main(["review", str(held), "--approve", "--by", "Dana"]) == 0
    assert "merged: 3 new contacts" in capsys.readouterr().out
    assert main(["review", str(held), "--refuse", "--by", "Dana"]) == 2   # decided already
    assert main(["query", f"select decided_by || ' / ' || reason from ops.batch_decisions where batch_id = {held} "
                          "and decision = 'approved'"]) == 0
    # who decides is the OS account (optline.access); the deprecated --by text is only the note
    assert f"{pwd.getpwuid(os.getuid()).pw_name} / Dana" in capsys.readouterr().out


def test_delete_needs_yes_and_then_deletes_the_list(data_dir, capsys):
    main(["samples"])
    main(["import"])
    capsys.readouterr()
    assert main(["delete", "--list", "In-Store Events"]) == 2
    assert "--yes" in capsys.readouterr().err
    assert main(["delete", "--list", "In-Store Events", "--yes", "--by", "dpo"]) == 0
    assert "deleted 10 contact(s)" in capsys.readouterr().out


def test_welcome_send_and_outbox_on_the_sample_inbox_with_the_sandbox(data_dir, capsys):
    main(["samples"])
    main(["import"])
    capsys.readouterr()
    assert main(["welcome", "--as-of", "2026-11-02T19:00:00+00:00"]) == 0
    assert "queued 20 welcome(s)" in capsys.readouterr().out
    assert main(["send", "--provider", "sandbox", "--as-of", "2026-11-02T19:00:00+00:00"]) == 0
    assert capsys.readouterr().out.startswith("sandbox: 20 sent")
    assert main(["outbox"]) == 0
    out = capsys.readouterr().out
    assert "welcome  sent" in out and "store_events.xlsx" in out and "5550" not in out
    assert len((data_dir / "sandbox" / "messages.jsonl").read_text().splitlines()) == 20


def test_send_names_the_missing_connection_for_twilio(data_dir, capsys, monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_OPTLINE_TWILIO", raising=False)
    assert main(["send", "--provider", "twilio"]) == 2
    assert "optline_twilio" in capsys.readouterr().err


def test_the_command_line_imports_no_airflow_adapter():
    import ast

    import optline.cli
    import optline.demo

    modules = set()
    for module in (optline.cli, optline.demo):
        for node in ast.walk(ast.parse(Path(module.__file__).read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                modules |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
            elif isinstance(node, ast.Import):
                modules |= {a.name for a in node.names}
    assert not {m for m in modules if m.startswith("optline.tasks")}
    # ... nor through what it imports, even the modules its commands import when they run.
    library = sorted(m for m in modules if m.startswith("optline.") and m.count(".") <= 2)
    code = (f"import importlib, sys\nfor m in {library!r}:\n    try:\n        importlib.import_module(m)\n"
            "    except ModuleNotFoundError:\n        pass  # a name imported from a module, not a module\n"
            "print(sorted(m for m in sys.modules if m.startswith(('optline.tasks', 'airflow.sdk'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_demo_runs_its_seven_steps_and_shows_where_to_look(data_dir, capsys, monkeypatch):
    from optline import demo

    runs = []

    class RecordingRuns:  # the DAG runs themselves: tests/dags/test_dag_runs.py
        def __init__(self, logs):
            self.logs = logs

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return None

        def run(self, dag_id, conf=None):
            runs.append((dag_id, conf))
            return demo.DagRunResult(dag_id, "success", self.logs / f"{dag_id}.log", 0.1, f"manual__{len(runs)}")

    monkeypatch.setattr(demo, "DagRuns", RecordingRuns)
    main(["samples"])
    main(["import"])  # what the contact_import DAG would have done
    capsys.readouterr()
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    steps = [line.split(" ", 1)[0] for line in out.splitlines() if line[:4] in {f"{n}/7 " for n in range(1, 8)}]
    assert steps == [f"{n}/7" for n in range(1, 8)]
    send = {"as_of": demo.demo_clock(dt.date.today()).isoformat()}
    assert runs == [("contact_import", None), ("optout_import", None), ("welcome_messages", None),
                    ("message_dispatch", send), ("inbound_messages", None), ("web_confirmations", None),
                    ("message_dispatch", send)]
    assert "awaiting_review" in out and "Held for review: batch" in out
    # the files `optline import` staged before the demo's contact_import run: said so, from the warehouse
    assert re.search(r"^store_events\.xlsx: already imported \(batch \d+, on \d{4}-\d\d-\d\d \d\d:\d\d UTC, "
                     r"merged\): this run did not read it again$", out, re.M), out
    assert "Where to look" in out and "reachable" in out
    assert "\n  select l.name as list, m.status, count(*) as contacts\n  from core.memberships m" in out


def test_the_demo_sends_at_19_utc_today_or_tomorrow_once_that_has_passed():
    from optline.demo import demo_clock

    day = dt.date(2026, 11, 2)
    at = dt.datetime(2026, 11, 2, 19, 0, tzinfo=dt.UTC)
    assert demo_clock(day, now=at - dt.timedelta(hours=9)) == at
    assert demo_clock(day, now=at) == at
    assert demo_clock(day, now=at + dt.timedelta(minutes=1)) == at + dt.timedelta(days=1)
