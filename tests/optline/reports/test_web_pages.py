"""The plugin's pages over a small real warehouse: four contact files imported through the real
pipeline (one merged, one held, one approved and merged, one refused), the conversion report as
message_dispatch writes it, the app read-only on the warehouse file as the plugin opens it.
Each page is also opened once in a real headless Chromium."""

from __future__ import annotations

import csv
import re
import subprocess
from collections.abc import Iterator
from urllib.parse import urljoin

import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient

from optline import warehouse
from optline.consent import confirmations
from optline.contacts import gate, pipeline
from optline.contacts.batch import load_batch
from optline.messaging import outbox
from optline.reports.web import ALLOW_ALL, PageAuth, create_app
from optline.runs import RunContext
from tests.conftest import AS_OF
from tests.helpers import import_people, person
from tests.optline.reports.test_review_page import CHROMIUM, CHROMIUM_FLAGS, _Cells


def _held_rows(first: int) -> list[list[str]]:
    """9 good rows and 2 bad numbers: 18 % rejected, above the review share, so the gate holds it."""
    return [person(f"(415) 555-{n:04d}", f"Ann{n}", f"Lee{n}") for n in range(first, first + 9)] + [
        person("555-0100", "Xavier"), person("=cmd|' /C calc'!A0", "Yolanda")]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    root = tmp_path_factory.mktemp("pages") / "data"
    (root / "inbox").mkdir(parents=True)
    with pytest.MonkeyPatch.context() as env:
        for var in ("OPTLINE_INBOX", "OPTLINE_REPORTS"):
            env.delenv(var, raising=False)
        env.setenv("OPTLINE_DATA_DIR", str(root))
        env.setenv("OPTLINE_WAREHOUSE", str(root / "warehouse.duckdb"))
        conn = warehouse.connect(root / "warehouse.duckdb")
        try:
            merged = import_people(conn, root, "clean.csv", [person(f"(415) 555-{n:04d}", f"Cy{n}")
                                                                         for n in range(150, 157)], as_of=AS_OF)
            held = {name: import_people(conn, root, f"{name}.csv", _held_rows(first), as_of=AS_OF,
                                        policy_overrides={})
                    for name, first in (("approved", 100), ("refused", 120), ("held", 130))}
            assert {s.status for s in held.values()} == {"awaiting_review"}
            approved = gate.record_decision(conn, load_batch(conn, held["approved"].batch_id), "approved", "rita",
                                            "checked with the list owner")
            pipeline.merge(conn, approved, root / "reports")
            gate.record_decision(conn, load_batch(conn, held["refused"].batch_id), "refused", "dana", "not our list")
            confirmed = confirmations.write_samples(root / "confirmations", AS_OF.date(),
                                                    numbers=[f"+1415555015{n}" for n in range(3)])[0]
            applied = confirmations.apply_file(conn, confirmed, RunContext(as_of=AS_OF, dag_id="test", run_id="r1"),
                                               root / "reports")
            assert applied.memberships_confirmed == 3
            outbox.write_conversion_report(conn, root / "reports")
            raw = conn.execute("select phone_raw, first_name, last_name from staging.contact_rows").fetchall()
        finally:
            conn.close()
        yield {"root": root, "client": TestClient(create_app(root / "reports", auth=ALLOW_ALL)),
               "ids": {"clean": merged.batch_id, **{k: s.batch_id for k, s in held.items()}}, "raw": raw}


def _cells(page: str) -> dict[str, list[list[str]]]:
    cells = _Cells()
    cells.feed(page)
    return cells.rows


def test_reviews_lists_every_batch_held_first_with_counts_decisions_and_utc_dates(site):
    page = site["client"].get("/reviews")
    assert page.status_code == 200
    rows = _cells(page.text)["reviews"]
    assert rows[0][:4] == ["Batch", "File", "Lists", "Received"] and "Times are UTC" in page.text
    ids = site["ids"]
    by_id = {int(r[0]): r for r in rows[1:]}
    others = sorted([ids["refused"], ids["approved"], ids["clean"]], reverse=True)
    assert list(by_id) == [ids["held"], *others]  # held first, then newest first
    assert by_id[ids["held"]][1:8] == ["held.csvreport · rejects.csv", "Main", by_id[ids["held"]][3], "11", "9", "2",
                                     "awaiting review"]
    assert by_id[ids["held"]][8].startswith("awaiting review by gate")
    assert by_id[ids["refused"]][7] == "refused" and by_id[ids["refused"]][9] == "not our list"
    assert re.fullmatch(r"refused by dana ?\d{4}-\d\d-\d\d \d\d:\d\d", by_id[ids["refused"]][8])
    assert re.fullmatch(r"approved by rita ?\d{4}-\d\d-\d\d \d\d:\d\d", by_id[ids["approved"]][8])
    assert by_id[ids["approved"]][7] == "merged" and by_id[ids["approved"]][9] == "checked with the list owner"
    assert by_id[ids["clean"]][4:8] == ["7", "7", "0", "merged"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", by_id[ids["clean"]][3])


def test_reviews_status_filter_shows_one_status_and_counts_each(site):
    client, ids = site["client"], site["ids"]
    merged = _cells(client.get("/reviews", params={"status": "merged"}).text)["reviews"][1:]
    assert sorted(int(r[0]) for r in merged) == sorted([ids["clean"], ids["approved"]])
    held = _cells(client.get("/reviews?status=awaiting_review").text)["reviews"][1:]
    assert [int(r[0]) for r in held] == [ids["held"]]
    none = _cells(client.get("/reviews?status=approved").text)["reviews"][1:]
    assert none == [["No batch is approved."]]
    filters = client.get("/reviews").text
    assert re.search(r'href="reviews\?status=merged">merged <small>2</small>', filters)
    assert re.search(r'class="here">all <small>4</small>', filters)
    assert client.get("/reviews?status=bogus").status_code == 422


def test_every_link_on_reviews_resolves_to_the_batchs_report_or_rejects(site):
    client = site["client"]
    page = client.get("/reviews").text
    links = re.findall(r'href="(batches/[^"]+)"', page)
    assert {link.rsplit("/", 1)[1] for link in links} == {"report", "rejects.csv"}
    assert len([link for link in links if link.endswith("rejects.csv")]) == 3  # the clean file rejected nothing
    for link in links:
        answer = client.get(urljoin("/reviews", link))
        assert answer.status_code == 200, link
    assert "invalid_number" in client.get(f"/batches/{site['ids']['held']}/rejects.csv").text


def test_expectation_history_has_each_expectations_result_per_batch_newest_first(site):
    conn = warehouse.connect(site["root"] / "warehouse.duckdb", read_only=True)
    try:
        stored = conn.execute("select count(*), count(distinct batch_id), count(*) filter (where not success) "
                              "from ops.expectation_results").fetchone()
        kinds = conn.execute("select count(distinct (suite_name, expectation_type, column_name, severity, "
                             "description)) from ops.expectation_results").fetchone()[0]
    finally:
        conn.close()
    page = site["client"].get("/expectations")
    assert page.status_code == 200
    history = _cells(page.text)["history"]
    groups = [i for i, r in enumerate(history) if len(r) == 1]
    results = [r for r in history[1:] if len(r) > 1]
    assert stored[1] == 4 and len(groups) == kinds and len(results) == stored[0]
    assert sum(r[3] == "failed" for r in results) == stored[2] >= 3  # the three held files' rejected share
    ids = sorted(site["ids"].values(), reverse=True)
    for start, end in zip(groups, [*groups[1:], len(history)]):
        assert [int(r[0]) for r in history[start + 1:end]] == ids  # one row per batch, newest first
    share = next(i for i in groups if history[i][0].startswith("Few rows are rejected"))
    assert "failed 3 of 4" in history[share][0]
    rows = {int(r[0]): r for r in history[share + 1:share + 5]}
    assert rows[site["ids"]["held"]][3:6] == ["failed", "0.182", "≤ 0.1"]
    assert rows[site["ids"]["clean"]][3:5] == ["passed", "0"]
    assert f'href="batches/{site["ids"]["held"]}/report"' in page.text
    assert site["client"].get("/expectations?batches=1").text.count("<tr>") < page.text.count("<tr>")


def test_pages_show_no_phone_number_or_name_from_the_files(site):
    pages = "".join(site["client"].get(p).text for p in ("/reviews", "/expectations", "/conversion"))
    numbers = {re.sub(r"\D", "", r[0]) for r in site["raw"] if len(re.sub(r"\D", "", r[0] or "")) >= 7}
    names = {v for r in site["raw"] for v in r[1:] if v and len(v) >= 3}
    assert numbers and names
    assert not [n for n in numbers if re.search(r"[\s().+-]{0,3}".join(n), pages)]
    assert not [w for w in names if re.search(rf"\b{re.escape(w)}\b", pages)]


def test_conversion_shows_percentages_with_their_counts(site, tmp_path):
    page = site["client"].get("/conversion").text
    rows = {int(r[0]): r for r in _cells(page)["conversion"][1:]}
    ids = site["ids"]
    assert set(rows) == {ids["clean"], ids["approved"]}
    assert rows[ids["clean"]][3] == "7" and rows[ids["clean"]][11] == "42.9 % 3 of 7"  # 3 confirmed by the web export
    assert rows[ids["clean"]][7:11] == ["3", "0", "0", "3"]  # by reply, by link, by number
    assert rows[ids["approved"]][3] == "9" and rows[ids["approved"]][12] == "–"

    (tmp_path / "messaging").mkdir()
    with (site["root"] / "reports" / "messaging" / "conversion.csv").open(encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    with (tmp_path / "messaging" / "conversion.csv").open("w", encoding="utf-8", newline="") as fh:
        written = csv.DictWriter(fh, header)
        written.writeheader()
        written.writerow({"batch_id": 3, "file_name": "spring.csv", "merged_at": "2026-11-01T12:30:00+00:00",
                          "imported": 1400, "waiting": 0, "messaged": 6, "not_messaged": 1394, "confirmed": 600,
                          "confirmed_by_reply": 400, "confirmed_by_link": 150, "confirmed_by_number": 50,
                          "conversion_rate": 0.4286, "confirmed_of_messaged": 0.5})
    other = TestClient(create_app(tmp_path, auth=ALLOW_ALL)).get("/conversion").text
    (row,) = _cells(other)["conversion"][1:]
    assert row[2:] == ["2026-11-01 12:30", "1,400", "0", "6", "1,394", "600", "400", "150", "50",
                       "42.9 % 600 of 1,400", "50.0 % of 6 messaged"]
    assert "0.4286" not in other


def test_when_the_warehouse_cannot_be_opened_reviews_lists_the_reports_on_disk(site, tmp_path):
    missing = tmp_path / "none.duckdb"
    client = TestClient(create_app(site["root"] / "reports", auth=ALLOW_ALL,
                                   connect=lambda: warehouse.connect(missing, read_only=True)))
    reviews = client.get("/reviews")
    assert reviews.status_code == 200 and "run an import first" in reviews.text
    listed = [r[0] for r in _cells(reviews.text)["reviews"][1:]]
    assert sorted(int(b) for b in listed) == sorted(site["ids"].values())
    assert client.get("/expectations").status_code == 503


def test_the_new_page_is_in_the_reviews_group_of_the_auth(site):
    def refuse() -> None:
        raise HTTPException(403, "no")

    def nobody() -> None:
        raise HTTPException(401, "who?")

    reviews_refused = TestClient(create_app(site["root"] / "reports", auth=PageAuth(
        authenticate=ALLOW_ALL.authenticate, may_read_reviews=refuse, may_read_conversion=ALLOW_ALL.authenticate)))
    assert {p: reviews_refused.get(p).status_code for p in ("/reviews", "/expectations", "/conversion")} == {
        "/reviews": 403, "/expectations": 403, "/conversion": 200}
    anonymous = TestClient(create_app(site["root"] / "reports", auth=PageAuth(
        authenticate=nobody, may_read_reviews=refuse, may_read_conversion=refuse)))
    assert anonymous.get("/expectations").status_code == 401


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is installed by `make test` (apt); not on this machine")
def test_each_page_opens_in_headless_chromium_as_a_table_without_raw_fractions(site, tmp_path):
    for name in ("reviews", "expectations", "conversion"):
        saved = tmp_path / f"{name}.html"
        saved.write_text(site["client"].get(f"/{name}").text, encoding="utf-8")
        dom = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / name}", "--dump-dom",
                              saved.as_uri()], capture_output=True, text=True, timeout=120, check=True).stdout
        table = {"reviews": "reviews", "expectations": "history", "conversion": "conversion"}[name]
        rows = _cells(dom)[table]
        groups = [r for r in rows if len(r) == 1 and name == "expectations"]  # one heading per expectation
        assert len(rows) >= 3 and all(len(r) > 1 for r in rows[1:] if r not in groups), name
        assert "font: 15px/1.45 system-ui" in dom  # the report's stylesheet
        if name == "conversion":
            assert [r[11] for r in rows[1:]] == ["42.9 % 3 of 7", "0.0 % 0 of 9"]
            assert not re.search(r"<td[^>]*>0\.\d+</td>", dom)
