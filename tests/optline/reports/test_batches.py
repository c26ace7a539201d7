"""Reports for people: the rejects CSV and the summary hide personal data and formulas."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re

from optline import samples
from optline.contacts import pipeline
from optline.intake.discovery import discover
from optline.intake.summary import write_run_summary
from optline.reports import batches as reports
from optline.runs import RunContext
from tests.helpers import write_csv

AS_OF = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
RUN = RunContext(as_of=AS_OF)


def read_rejects(path):
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_rejects_csv_lists_each_rejected_row_with_reason_and_line(conn, data_dir):
    path = write_csv(data_dir / "inbox" / "a.csv", [
        ["phone", "first_name", "company", "dob", "opt_in"],
        ["(415) 555-0101", "Ann", "Acme", "1990-01-01", "2026-10-01"],
        ["+1 800 555 0199", "Toll", "Acme", "1990-01-01", "2026-10-01"],
        ["(415) 555-0102", "Bo", "=HYPERLINK(\"http://x\")" + "x" * 130, "1990-01-01", "2026-10-01"],
    ])
    summary = pipeline.import_file(conn, path, RUN, data_dir / "reports")
    rows = read_rejects(reports.batch_dir(data_dir / "reports", summary.batch_id) / "rejects.csv")
    assert [(r["row_number"], r["line_number"], r["reason_code"], r["column"]) for r in rows] == [
        ("2", "3", "not_mobile", "phone"), ("3", "4", "field_too_long", "company")]
    assert rows[0]["value"] == "'+• ••• ••• ••99"          # masked, and its leading + neutralized
    assert rows[1]["value"].startswith("'=HYPERLINK")      # a formula never reaches a spreadsheet live


def test_no_report_contains_a_full_phone_number(conn, data_dir):
    samples.write_samples(data_dir / "inbox", as_of=AS_OF.date())
    summaries = [pipeline.import_file(conn, f.path, RUN, data_dir / "reports") for f in discover(data_dir / "inbox")]
    write_run_summary(summaries, data_dir / "reports" / "runs" / "r.json")
    staged = conn.execute("select phone_raw from staging.contact_rows where phone_raw is not null").fetchall()
    raw = {r[0] for r in staged}
    digits = {re.sub(r"\D", "", r) for r in raw} | {re.sub(r"\D", "", r)[-10:] for r in raw}
    digits = {d for d in digits if len(d) >= 7}
    files = list((data_dir / "reports").rglob("*.*"))
    assert len(files) >= 4
    for path in files:
        text_digits = re.sub(r"\D", "", path.read_text(encoding="utf-8-sig"))
        leaked = [d for d in digits if d in text_digits]
        assert not leaked, f"{path.name} shows phone digits"


def test_summary_table_has_a_line_per_file_and_the_reasons():
    text = reports.format_summary([
        reports.FileSummary("a.csv", "merged", 1, lines_read=3, rows_loaded=2, rows_rejected=1,
                            rejected_by_reason={"invalid_number": 1}),
        reports.FileSummary("b.csv", "failed", error="b.csv, line 2: not valid CSV"),
    ])
    lines = text.splitlines()
    assert lines[0].split() == ["file", "status", "batch", "read", "loaded", "new", "merged", "dupes", "rejected",
                                "warned"]
    assert lines[2].split()[:5] == ["a.csv", "merged", "1", "3", "2"]
    assert "a.csv: rejected by reason: invalid_number 1" in text
    assert "b.csv: FAILED: b.csv, line 2: not valid CSV" in text


def _file_with_rejects(data_dir, accepted: int, rejected: int):
    """A CSV whose first `accepted` rows are fine and whose next `rejected` rows each hold a
    toll-free number (rejected as `not_mobile`)."""
    rows = [["phone", "first_name", "dob", "opt_in"]]
    rows += [[f"(415) 555-{101 + i:04d}", f"P{i}", "1990-01-01", "2026-10-01"] for i in range(accepted)]
    rows += [[f"+1 800 555 {i:04d}", f"T{i}", "1990-01-01", "2026-10-01"] for i in range(rejected)]
    return write_csv(data_dir / "inbox" / "many.csv", rows)


def test_rejects_csv_stops_at_the_cap_and_its_note_counts_the_rows_left_out(conn, data_dir, monkeypatch):
    monkeypatch.setattr(reports, "REJECTS_MAX_ROWS", 4, raising=False)
    summary = pipeline.import_file(conn, _file_with_rejects(data_dir, 3, 7), RUN, data_dir / "reports")
    folder = reports.batch_dir(data_dir / "reports", summary.batch_id)
    rows = read_rejects(folder / "rejects.csv")
    assert summary.rows_rejected == 7
    assert [r["row_number"] for r in rows] == ["4", "5", "6", "7"]          # the first 4 rejected rows, in order
    note = json.loads((folder / "rejects_summary.json").read_text(encoding="utf-8"))
    assert (note["rows_rejected"], note["rows_in_csv"], note["rows_left_out"]) == (7, 4, 3)
    # the query the note gives for all of them really returns every rejected row, without values
    everything = conn.execute(note["warehouse_query"]).fetchall()
    assert [r[0] for r in everything] == [4, 5, 6, 7, 8, 9, 10]
    assert note["command"] == f'optline query "{note["warehouse_query"]}" --max-rows 7'
    text = reports.format_summary([summary])
    assert f"rejected rows: 7 (first 4 in {folder / 'rejects.csv'}; all 7 in the warehouse: " in text
    assert note["command"] in text


def test_rejects_csv_under_the_cap_holds_every_rejected_row_and_says_none_was_left_out(conn, data_dir, monkeypatch):
    monkeypatch.setattr(reports, "REJECTS_MAX_ROWS", 4, raising=False)
    summary = pipeline.import_file(conn, _file_with_rejects(data_dir, 3, 4), RUN, data_dir / "reports")
    folder = reports.batch_dir(data_dir / "reports", summary.batch_id)
    assert len(read_rejects(folder / "rejects.csv")) == 4
    note = json.loads((folder / "rejects_summary.json").read_text(encoding="utf-8"))
    assert (note["rows_rejected"], note["rows_in_csv"], note["rows_left_out"]) == (4, 4, 0)
    text = reports.format_summary([summary])
    assert f"rejected rows: 4 in {folder / 'rejects.csv'}" in text
    assert "warehouse" not in text
