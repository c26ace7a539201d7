"""Reports for people: the rejects CSV and the summary hide personal data and formulas."""

from __future__ import annotations

import csv
import datetime as dt
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
