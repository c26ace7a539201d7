"""The review report a compliance reviewer reads: rendered, opened in a real headless
Chromium, and free of personal data. Also the PII scan over every stored result and report."""

from __future__ import annotations

import datetime as dt
import html.parser
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from optline import samples
from optline.contacts import pipeline
from optline.intake.discovery import discover
from optline.reports import review_page as review_report
from optline.reports.web import ALLOW_ALL, create_app
from optline.runs import RunContext
from tests.helpers import write_csv

AS_OF = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
RUN = RunContext(as_of=AS_OF, dag_id="contact_import", run_id="r1")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def held_report(conn, data_dir) -> tuple[int, Path]:
    rows = [[f"(415) 555-{n:04d}", f"Ann{n}", "1990-01-02", "2026-10-01"] for n in range(100, 109)]
    rows += [["555-0100", "X", "1990-01-02", "2026-10-01"], ["=cmd|' /C calc'!A0", "Y", "1990-01-02", "2026-10-01"]]
    path = write_csv(data_dir / "inbox" / "held.csv", [["phone", "first_name", "dob", "opt_in"], *rows],
                     policy_overrides={})
    summary = pipeline.import_file(conn, path, RUN, data_dir / "reports")
    assert summary.status == "awaiting_review"
    report = data_dir / "reports" / "batches" / f"{summary.batch_id:06d}" / "report.html"
    return summary.batch_id, report


class _Cells(html.parser.HTMLParser):
    """Text of each table row, by table id."""

    def __init__(self):
        super().__init__()
        self.rows: dict[str, list[list[str]]] = {}
        self._table = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._table = dict(attrs).get("id")
            self.rows[self._table] = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows[self._table].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                    reason="Chromium is installed by `make test` (apt); not on this machine")
def test_report_renders_in_headless_chromium_with_every_expectation_and_the_decision(conn, held_report, tmp_path):
    batch_id, report = held_report
    dom = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
                          report.as_uri()], capture_output=True, text=True, timeout=120, check=True).stdout
    cells = _Cells()
    cells.feed(dom)
    stored = conn.execute("select count(*), count(*) filter (where not success) from ops.expectation_results "
                          "where batch_id = ?", [batch_id]).fetchone()
    expectation_rows = cells.rows["expectations"][1:]
    assert len(expectation_rows) == stored[0]
    assert sum(row[0] == "failed" for row in expectation_rows) == stored[1] >= 1
    assert 'id="batch-status">awaiting review<' in dom
    assert ["awaiting review", "gate"] == cells.rows["decisions"][1][1:3]
    assert {row[0] for row in cells.rows["rejects"][1:]} == {"invalid_number"}
    assert "optline review" in dom  # tells the reviewer how to decide

    shot = tmp_path / "report.png"
    subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile2'}", "--window-size=1100,1400",
                    f"--screenshot={shot}", report.as_uri()], capture_output=True, timeout=120, check=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_report_escapes_what_came_from_the_file(conn, held_report):
    batch_id, _ = held_report
    conn.execute("update ops.batches set file_name = '<script>alert(1)</script>.csv' where batch_id = ?", [batch_id])
    page = review_report.render(conn, batch_id)
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page


def test_reports_plugin_serves_the_report_and_lists_it(held_report, data_dir):
    from fastapi.testclient import TestClient

    batch_id, report = held_report
    client = TestClient(create_app(data_dir / "reports", auth=ALLOW_ALL))
    page = client.get(f"/batches/{batch_id}/report")
    assert page.status_code == 200 and page.text == report.read_text(encoding="utf-8")
    assert client.get(f"/batches/{batch_id}/rejects.csv").status_code == 200
    assert client.get("/batches/999/report").status_code == 404
    assert client.get("/batches/..%2F..%2Fetc/report").status_code in (404, 422)
    index = client.get("/reviews").text
    assert f'href="batches/{batch_id}/report"' in index and "awaiting review" in index


def test_no_phone_number_name_or_birth_date_in_any_stored_result_or_report(conn, data_dir):
    samples.write_samples(data_dir / "inbox", as_of=AS_OF.date())
    for f in discover(data_dir / "inbox"):
        pipeline.import_file(conn, f.path, RUN, data_dir / "reports")
    raw = conn.execute(
        """select phone_raw, first_name, last_name, email, dob_raw from staging.contact_rows""").fetchall()
    numbers = {re.sub(r"\D", "", r[0]) for r in raw if r[0] and len(re.sub(r"\D", "", r[0])) >= 7}
    words = {v for r in raw for v in r[1:4] if v and len(v) >= 3 and not v.isdigit()}
    dobs = {r[4] for r in raw if r[4]}
    stored = json.dumps(conn.execute("select * from ops.expectation_results").fetchall(), default=str)
    stored += json.dumps(conn.execute("select * from ops.batch_decisions").fetchall(), default=str)
    files = [p for p in (data_dir / "reports").rglob("*") if p.is_file()]
    assert {p.suffix for p in files} >= {".html", ".csv"}
    for where, text in [("expectation results", stored), *[(p.name, p.read_text(encoding="utf-8-sig")) for p in files]]:
        shown = [n for n in numbers if re.search(r"[\s().+-]{0,3}".join(n), text)]  # any formatting
        assert not shown, f"{where} shows a phone number"
        assert not [w for w in words if re.search(rf"\b{re.escape(w)}\b", text)], f"{where} shows a name or email"
        assert not [d for d in dobs if d in text], f"{where} shows a date of birth"
