"""Consent by hand through `optline opt-out` / `opt-in` over a real warehouse (a tiny file imported
through the real pipeline): recorded in the ledger with the OS account and the note, effective at
once in marts.audiences, refused for an account not allowed, an opt-in without evidence, or a
change that changes nothing."""

from __future__ import annotations

import json
import os
import pwd
from pathlib import Path

import pytest
import yaml

from optline import warehouse
from optline.cli import main
from optline.consent import manual
from tests.optline.consent.consent_site import ANN, BO, consent_site, copy_site  # noqa: F401 (a fixture)

ME = pwd.getpwuid(os.getuid()).pw_name


def allow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **settings) -> Path:
    path = tmp_path / "access.yaml"
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    monkeypatch.setenv("OPTLINE_ACCESS_CONFIG", str(path))
    return path


@pytest.fixture
def members(request: pytest.FixtureRequest, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the small site's warehouse (ANN, BO, CY on Main) as this test's; this account
    may record consent by hand."""
    allow(tmp_path, monkeypatch, consent={"os_accounts": [ME]}, delete={"os_accounts": [ME]})
    copy_site(request.getfixturevalue("consent_site"), data_dir)
    return data_dir


def audience(data_dir: Path) -> list[str]:
    conn = warehouse.connect(data_dir / "warehouse.duckdb", read_only=True)
    try:
        return [r[0] for r in conn.execute("select e164_masked from marts.audiences order by 1").fetchall()]
    finally:
        conn.close()


def manual_events(data_dir: Path) -> list[tuple]:
    conn = warehouse.connect(data_dir / "warehouse.duckdb", read_only=True)
    try:
        return conn.execute("select kind, scope, method, source, recorded_by, recorded_by_id, note, dag_id "
                            "from core.consent_events where method = 'manual' order by event_id").fetchall()
    finally:
        conn.close()


def test_opt_out_by_hand_records_the_os_account_and_the_note_and_empties_the_numbers_audiences_at_once(
        members, capsys):
    assert audience(members)[:3] == ["••••••••••01", "••••••••••02", "••••••••••03"]
    assert main(["opt-out", "(415) 555-0101", "--note", "asked on the phone, call 2231"]) == 0
    said = capsys.readouterr().out
    assert "recorded by " + ME in said and "0101" not in said and "01: opt_out on all" in said
    assert manual_events(members) == [("opt_out", "all", "manual", "optline cli", ME, ME,
                                       "asked on the phone, call 2231", "cli")]
    assert "••••••••••01" not in audience(members) and "••••••••••02" in audience(members)
    assert main(["export-person", "--number", ANN, "--out", str(members.parent / "ann.json")]) == 0
    by_hand = [e for e in json.loads((members.parent / "ann.json").read_text())["consent_events"]
               if e["method"] == "manual"]
    assert [(e["recorded_by"], e["note"]) for e in by_hand] == [(ME, "asked on the phone, call 2231")]


def test_opt_in_by_hand_needs_the_persons_request_as_evidence_and_then_rejoins_the_audience(members, capsys):
    before = audience(members)
    assert main(["opt-out", ANN, "--channel", "sms"]) == 0
    assert "••••••••••01" not in audience(members)
    assert main(["opt-in", ANN, "--note", "yes"]) == 2  # no evidence: refused, nothing recorded
    assert "own request" in capsys.readouterr().err and len(manual_events(members)) == 1
    assert main(["opt-in", ANN, "--channel", "sms", "--note", "signed form 2026-12-01, ticket 4411"]) == 0
    assert [e[:2] for e in manual_events(members)] == [("opt_out", "sms"), ("resubscribe", "sms")]
    assert audience(members) == before


def test_an_account_not_listed_under_consent_is_refused_with_where_to_list_it(members, tmp_path, monkeypatch, capsys):
    allow(tmp_path, monkeypatch, consent={"os_accounts": ["someone-else"]})
    assert main(["opt-out", ANN]) == 2
    err = capsys.readouterr().err
    assert f"{ME!r} may not consent" in err and "consent: os_accounts" in err and str(tmp_path) in err
    assert manual_events(members) == [] and "••••••••••01" in audience(members)


def test_a_change_that_changes_nothing_records_nothing(members, capsys):
    assert main(["opt-in", BO, "--note", "signed form 2026-12-01, ticket 4411"]) == 1  # never opted out
    assert "nothing to lift" in capsys.readouterr().err
    assert main(["opt-out", BO, "--channel", "sms"]) == 0
    assert main(["opt-out", BO, "--channel", "sms"]) == 1  # a second click of the same form
    assert "already opted out on sms" in capsys.readouterr().err
    assert [e[:2] for e in manual_events(members)] == [("opt_out", "sms")]


def test_a_number_no_contact_has_can_be_opted_out_ahead_of_any_import(members):
    conn = warehouse.connect(members / "warehouse.duckdb")
    try:
        change = manual.record(conn, "+14155550177", "opt_out", by=manual.Recorder("dana", "7", "web"))
        assert change.suppressed == {"sms": True, "whatsapp": True}
        row = conn.execute("select contact_id, recorded_by, recorded_by_id, source, dag_id from core.consent_events "
                           "where event_id = $id", {"id": change.event_id}).fetchone()
        assert row == (None, "dana", "7", "optline web", None)
        with pytest.raises(manual.ManualConsentError, match="not a valid phone number"):
            manual.record(conn, "555", "opt_out", by=manual.Recorder("dana", "7", "web"))
    finally:
        conn.close()
