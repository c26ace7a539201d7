"""`optline history NUMBER` over the small real site: every consent event, membership, confirmation
and message of the number, newest first, each with its file and line; found through the HMAC
(a deleted number's ledger still shows); no other number, no message body."""

from __future__ import annotations

import json
import os
import pwd
from pathlib import Path

import pytest
import yaml

from optline.cli import main
from tests.optline.consent.consent_site import ANN, consent_site, copy_site  # noqa: F401 (a fixture)

ME = pwd.getpwuid(os.getuid()).pw_name


@pytest.fixture
def site(request: pytest.FixtureRequest, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "access.yaml"
    path.write_text(yaml.safe_dump({"consent": {"os_accounts": [ME]}, "delete": {"os_accounts": [ME]}}),
                    encoding="utf-8")
    monkeypatch.setenv("OPTLINE_ACCESS_CONFIG", str(path))
    copy_site(request.getfixturevalue("consent_site"), data_dir)
    return data_dir


def history(capsys, *argv: str) -> dict:
    assert main(["history", *argv, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_history_lists_every_fact_of_the_number_newest_first_with_its_file_and_line(site, capsys):
    assert main(["opt-out", ANN, "--channel", "sms", "--note", "asked by e-mail, ticket 12"]) == 0
    capsys.readouterr()
    found = history(capsys, "(415) 555-0101")
    assert found["number"] == ANN
    entries = found["entries"]
    assert [e["at"] for e in entries] == sorted((e["at"] for e in entries), reverse=True)
    kinds = {(e["category"], e["event"]) for e in entries}
    assert {("consent", "opt_in"), ("consent", "opt_out"), ("membership", "joined list"), ("confirmation", "confirmed"),
            ("message", "welcome queued")} <= kinds
    first = entries[0]  # the opt-out by hand is the newest
    assert (first["category"], first["event"], first["channel"], first["recorded_by"]) == ("consent", "opt_out", "sms",
                                                                                           ME)
    assert "ticket 12" in first["detail"]
    opt_ins = {(e["file_name"], e["line_number"]) for e in entries if e["category"] == "consent"
               and e["event"] == "opt_in"}
    assert ("main.csv", 2) in opt_ins and len(opt_ins) == 2  # the import (the header is line 1), the web form
    joined = next(e for e in entries if e["category"] == "membership")
    assert (joined["list_name"], joined["file_name"], joined["line_number"]) == ("Main", "main.csv", 2)
    confirmed = next(e for e in entries if e["category"] == "confirmation")
    assert confirmed["file_name"] and confirmed["line_number"] >= 2
    assert [c["suppressed"] for c in found["channels"]] == [True, False]  # sms, whatsapp
    text = json.dumps(found)
    assert "4155550102" not in text and "4155550103" not in text and "Reply YES" not in text


def test_the_table_names_the_number_once_and_a_deleted_numbers_ledger_still_shows(site, capsys):
    assert main(["history", ANN]) == 0
    table = capsys.readouterr().out
    assert table.count("4155550101") == 1 and "main.csv line 2" in table and "may be messaged" in table
    assert main(["delete", "--number", ANN, "--yes"]) == 0
    capsys.readouterr()
    after = history(capsys, ANN)
    assert {e["category"] for e in after["entries"]} >= {"consent", "confirmation"}
    assert not [e for e in after["entries"] if e["category"] == "membership"]


def test_history_of_something_that_is_no_number_says_how_to_give_one(site, capsys):
    assert main(["history", "555"]) == 2
    assert "E.164" in capsys.readouterr().err
