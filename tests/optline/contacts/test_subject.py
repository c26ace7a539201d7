"""A data subject's export: everything held about one number, with lineage, recorded in ops."""

from __future__ import annotations

import json

import pytest

from optline.config import hmac_key
from optline.contacts.subject import export_person
from optline.phones import number_hmac
from tests.optline.contacts.test_deletion import BORIS, build_world


def ledger_kinds(conn, e164: str) -> list[str]:
    """The ledger's events of the number, in order: the export must hold every one."""
    return [k for (k,) in conn.execute("select kind from core.consent_events where number_hmac = ? order by event_id",
                                       [number_hmac(e164, hmac_key())]).fetchall()]


def test_the_export_holds_everything_about_the_number_and_nothing_about_anyone_else(conn, data_dir, tmp_path):
    batches = build_world(conn, data_dir)
    out = tmp_path / "requests" / "annabel.json"
    result = export_person(conn, "(415) 555-0101", out=out, requested_by="dpo")
    text = out.read_text(encoding="utf-8")
    doc = json.loads(text)
    assert doc["number"] == "+14155550101"
    assert [(c["first_name"], c["last_name"], c["email"], c["dob"]) for c in doc["contacts"]] == [
        ("Annabel", "Quenneville", "annabel.q@example.org", "1987-06-05")]
    assert [(m["list_name"], m["channel"], m["status"]) for m in doc["memberships"]] == [("Gone", "sms", "pending")]
    assert [t["tag"] for t in doc["tags"]] == ["vip"]
    assert [c["channel"] for c in doc["channels"]] == ["sms"]
    ledger = ledger_kinds(conn, "+14155550101")
    assert [e["kind"] for e in doc["consent_events"]] == ledger and {"opt_in", "opt_out"} <= set(ledger)
    assert [m["kind"] for m in doc["messages"]] == ["welcome"] and "Annabel" in doc["messages"][0]["body"]
    assert [(r["body"], r["line_number"]) for r in doc["received_texts"]] == [("STOP this is Annabel Quenneville", 2)]
    lineage = [(r["batch_id"], r["file_name"], r["batch_status"], r["line_number"], r["accepted"])
               for r in doc["staged_rows"]]
    assert lineage == [(batches["merged"], "a.csv", "merged", 2, True),
                       (batches["held"], "h.csv", "awaiting_review", 2, False),
                       (batches["rejected"], "r.csv", "rejected", 2, False)]
    assert [(r["file_name"], r["line_number"], r["outcome"], r["email"]) for r in doc["optout_rows"]] == [
        ("o.csv", 2, "matched", "annabel.q@example.org")]
    for other in BORIS[:4]:  # Boris's number, names and email are not in Annabel's export
        assert other not in text and "4155550192" not in text
    assert result.counts["contacts"] == 1 and result.counts["staged_rows"] == 3
    hmac_value = number_hmac("+14155550101", hmac_key())
    assert conn.execute("""select requested_by, number_hmac, file_path, contacts, consent_events, messages,
        received_texts, staged_rows from ops.subject_exports""").fetchall() == [
        ("dpo", hmac_value, str(out.resolve()), 1, len(ledger), 1, 1, 4)]
    assert "+14155550101" not in str(conn.execute("select * from ops.subject_exports").fetchall())


def test_an_export_after_a_deletion_finds_only_the_ledgers_evidence(conn, data_dir, tmp_path):
    from optline.contacts.deletion import delete_contacts

    build_world(conn, data_dir)
    delete_contacts(conn, number="+1 415 555 0101", requested_by="dpo")
    result = export_person(conn, "+1 415 555 0101", out=tmp_path / "after.json", requested_by="dpo")
    doc = json.loads((tmp_path / "after.json").read_text(encoding="utf-8"))
    assert doc["contacts"] == [] and doc["staged_rows"] == [] and doc["optout_rows"] == []
    ledger = ledger_kinds(conn, "+14155550101")
    assert [e["kind"] for e in doc["consent_events"]] == ledger and {"opt_in", "opt_out"} <= set(ledger)
    assert [(r["from_raw"], r["body"], r["keyword"]) for r in doc["received_texts"]] == [(None, None, "STOP")]
    assert result.counts["consent_events"] == len(ledger)


def test_exporting_a_number_that_does_not_parse_says_so_and_records_nothing(conn, tmp_path):
    with pytest.raises(ValueError, match="not a valid phone number"):
        export_person(conn, "555-01", out=tmp_path / "x.json", requested_by="dpo")
    assert not (tmp_path / "x.json").exists()
    assert conn.execute("select count(*) from ops.subject_exports").fetchone()[0] == 0


def test_optline_export_person_writes_the_file_and_prints_no_personal_data(conn, data_dir, tmp_path, capsys):
    from optline.cli import main

    build_world(conn, data_dir)
    conn.close()
    out = tmp_path / "annabel.json"
    assert main(["export-person", "--number", "415 555 0101", "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert json.loads(out.read_text(encoding="utf-8"))["contacts"][0]["first_name"] == "Annabel"
    assert "contacts 1" in printed.out and "Annabel" not in printed.out + printed.err
    assert "0101" not in printed.out + printed.err
