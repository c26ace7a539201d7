"""Consent evidence as 16 CFR 310.5(a)(8) lists it: the manifest names the disclosure shown (text,
version, URL) and the purpose; the merge stores each distinct disclosure once and every opt-in
event of the import points at it; a deletion keeps both; a subject's export shows it per opt-in."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from optline import warehouse
from optline.cli import main
from optline.consent.disclosures import disclosure_id
from optline.intake.manifest import ManifestError, parse_manifest
from tests.helpers import write_csv

AS_OF = "2026-11-01T12:00:00+00:00"
HEADER = ["phone", "first_name", "age", "opt_in"]
TEXT = "Reply YES to get weekly offers from Acme by text. Msg & data rates may apply. Help: 1-800-555-0199."
DISCLOSURE = {"text": TEXT, "version": "2026-10", "url": "https://acme.example/sms-terms"}
PURPOSE = "weekly offers by SMS"


def _file(data_dir: Path, name: str, phones: list[str], **manifest) -> Path:
    rows = [HEADER, *([phone, f"P{i}", "30", "2026-10-01"] for i, phone in enumerate(phones))]
    return write_csv(data_dir / "inbox" / name, rows, lists=["Offers"], **manifest)


def _import(data_dir: Path, name: str, phones: list[str], **manifest) -> int:
    return main(["import", str(_file(data_dir, name, phones, **manifest)), "--as-of", AS_OF])


def _read(data_dir: Path, sql: str) -> list[tuple]:
    with warehouse.connect(data_dir / "warehouse.duckdb", read_only=True) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture
def imported(data_dir: Path, capsys) -> Path:
    """Two files under the same disclosure, one under none."""
    _file(data_dir, "a.csv", ["(415) 555-0101", "(415) 555-0102"], disclosure=DISCLOSURE, purpose=PURPOSE)
    _file(data_dir, "b.csv", ["(415) 555-0103"], disclosure=DISCLOSURE, purpose=PURPOSE)
    _file(data_dir, "c.csv", ["(415) 555-0104"])
    assert main(["import", "--as-of", AS_OF]) == 0  # the inbox, in name order
    capsys.readouterr()
    return data_dir


def test_each_distinct_disclosure_is_stored_once_and_every_opt_in_of_its_imports_points_at_it(imported):
    stored = _read(imported, "select disclosure_id, text_sha256, text, version, url, purpose, b.file_name "
                             "from core.consent_disclosures d join ops.batches b on b.batch_id = d.first_batch_id")
    expected_id = disclosure_id(TEXT, "2026-10", "https://acme.example/sms-terms", PURPOSE)
    assert stored == [(expected_id, hashlib.sha256(TEXT.encode()).hexdigest(), TEXT, "2026-10",
                       "https://acme.example/sms-terms", PURPOSE, "a.csv")]
    events = _read(imported, "select b.file_name, e.kind, e.disclosure_id from core.consent_events e "
                             "join ops.batches b using (batch_id) order by e.event_id")
    assert events == [("a.csv", "opt_in", expected_id), ("a.csv", "opt_in", expected_id),
                      ("b.csv", "opt_in", expected_id), ("c.csv", "opt_in", None)]


def test_the_disclosure_survives_deletion_and_the_subjects_export_shows_it_for_each_opt_in(imported, tmp_path,
                                                                                            capsys):
    out = tmp_path / "p.json"
    assert main(["export-person", "--number", "(415) 555-0103", "--out", str(out)]) == 0
    [event] = json.loads(out.read_text(encoding="utf-8"))["consent_events"]
    assert (event["kind"], event["disclosure_text"], event["disclosure_version"], event["disclosure_url"],
            event["disclosure_purpose"]) == ("opt_in", TEXT, "2026-10", "https://acme.example/sms-terms", PURPOSE)
    ledger = "select event_id, number_hmac, kind, disclosure_id from core.consent_events order by event_id"
    before = (_read(imported, "select * from core.consent_disclosures"), _read(imported, ledger))
    assert main(["delete", "--all", "--yes"]) == 0
    assert _read(imported, "select count(*) from core.contacts") == [(0,)]
    assert (_read(imported, "select * from core.consent_disclosures"), _read(imported, ledger)) == before


def test_a_disclosure_without_its_purpose_or_holding_a_persons_number_fails_the_file_before_anything_is_staged(
        data_dir, capsys):
    assert _import(data_dir, "a.csv", ["(415) 555-0101"], disclosure={"version": "3"}) == 1
    assert "a.manifest.yaml: `purpose` is missing" in capsys.readouterr().out
    text = "Reply YES. Questions? Ann at (415) 555-0188"
    assert _import(data_dir, "b.csv", ["(415) 555-0101"], disclosure=text, purpose=PURPOSE) == 1
    said = capsys.readouterr().out
    assert "b.manifest.yaml: `disclosure.text` holds a phone number (characters 30-43)" in said
    assert "555" not in said.split("`disclosure.text`")[1]  # where it is, never the number
    assert _read(data_dir, "select count(*) from ops.batches") == [(0,)]


@pytest.mark.parametrize(("disclosure", "expected"), [
    (TEXT, (TEXT, None, None)),  # a plain text is the text shown
    ({"version": 3}, (None, "3", None)),
    ({"url": "https://acme.example/terms"}, (None, None, "https://acme.example/terms")),
])
def test_a_disclosure_is_its_text_or_any_of_text_version_and_url(disclosure, expected):
    m = parse_manifest({"lists": ["A"], "disclosure": disclosure, "purpose": f" {PURPOSE} "})
    assert (m.disclosure_text, m.disclosure_version, m.disclosure_url, m.purpose) == (*expected, PURPOSE)


@pytest.mark.parametrize(("settings", "said"), [
    ({"purpose": PURPOSE}, "`disclosure` is missing"),
    ({"disclosure": {}, "purpose": PURPOSE}, "`disclosure` must give at least one of"),
    ({"disclosure": {"txt": "x"}, "purpose": PURPOSE}, "`disclosure` has unknown keys ['txt']"),
    ({"disclosure": ["x"], "purpose": PURPOSE}, "`disclosure` must be the text shown"),
    ({"disclosure": {"url": "acme.example"}, "purpose": PURPOSE}, "`disclosure.url` must be a web address"),
    ({"disclosure": "x", "purpose": 5}, "`purpose` must be a non-empty text, not a number"),
    ({"disclosure": "x", "purpose": "call +44 7911 123456"}, "`purpose` holds a phone number"),
])
def test_a_disclosure_or_purpose_of_the_wrong_shape_is_refused_naming_the_key(settings, said):
    with pytest.raises(ManifestError) as info:
        parse_manifest({"lists": ["A"], **settings})
    assert said in str(info.value)
