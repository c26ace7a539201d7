"""A person decides each possible revocation: listed undecided with its FCC clock, decided once
by a configured reviewer (the OS account), an opt_out leaving every audience (real warehouse files)."""

from __future__ import annotations

import csv
import datetime as dt
import os
import pwd
from pathlib import Path

import pytest
import yaml

from optline import access
from optline.cli import main
from optline.consent import inbound, revocations
from optline.consent import ledger as consent
from optline.runs import RunContext

ME = pwd.getpwuid(os.getuid()).pw_name
APPLIED = dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.UTC)  # a Monday
DECIDED = dt.datetime(2026, 11, 4, 15, 0, tzinfo=dt.UTC)  # the Wednesday after
ANN, BO = "+14155550101", "+14155550102"
MANIFEST = {"channel": "sms", "keywords": {"PIZZA": "Pizza Lovers"}}


@pytest.fixture(autouse=True)
def reviewers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This account is the one reviewer (not the shipped config/access.yaml)."""
    return allow(tmp_path, monkeypatch, [ME])


def allow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, accounts: list[str]) -> Path:
    path = tmp_path / "access.yaml"
    path.write_text(yaml.safe_dump({"review": {"os_accounts": accounts}}), encoding="utf-8")
    monkeypatch.setenv("OPTLINE_ACCESS_CONFIG", str(path))
    return path


def apply(conn, data_dir: Path, name: str, messages: list[tuple[str, str, str]]) -> int:
    folder = data_dir / "inbound"
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(("From", "To", "Body", "Received At"))
        writer.writerows([[frm, "+1 415 555 0199", body, received] for frm, body, received in messages])
    (folder / f"{name}.manifest.yaml").write_text(yaml.safe_dump(MANIFEST), encoding="utf-8")
    return inbound.apply_file(conn, path, RunContext(as_of=APPLIED), data_dir / "reports").batch_id


def held(conn, data_dir: Path) -> int:
    """ANN and BO joined Pizza Lovers; then ANN wrote "not interested" (Mon 26 Oct), BO "who is this?" (Thu 29 Oct)."""
    apply(conn, data_dir, "joins", [(ANN, "PIZZA", "2026-10-01 10:00:00"), (BO, "PIZZA", "2026-10-01 10:00:00")])
    return apply(conn, data_dir, "doubtful", [(BO, "who is this?", "2026-10-29 09:00:00"),
                                              (ANN, "not interested", "2026-10-26 09:00:00")])


def audience(conn) -> list[str]:
    return [r[0] for r in conn.execute("""select e164_masked from marts.audiences
        where list_name = 'Pizza Lovers' and channel = 'sms' order by e164_masked""").fetchall()]


def test_an_undecided_possible_revocation_is_listed_oldest_first_with_its_business_days(conn, data_dir):
    batch = held(conn, data_dir)
    rows = revocations.list_undecided(conn, now=DECIDED)
    assert [(r["batch_id"], r["row_number"], r["rule"], r["business_days"], r["clock"]) for r in rows] == [
        (batch, 2, "not_interested", 7, "ok"),     # Mon 26 Oct -> Wed 4 Nov
        (batch, 1, "who_is_this", 4, "ok"),        # Thu 29 Oct -> Wed 4 Nov
    ]
    assert rows[0]["number"] == "+•••••••••01" and rows[0]["received_at"] == dt.datetime(2026, 10, 26, 9, tzinfo=dt.UTC)
    assert "e164" not in rows[0] and "body" not in rows[0]
    late = revocations.list_undecided(conn, now=dt.datetime(2026, 11, 10, 9, tzinfo=dt.UTC))
    assert [(r["business_days"], r["clock"]) for r in late] == [(11, "over_limit"), (8, "near_limit")]
    view = conn.execute("""select batch_id, row_number, rule, decision from marts.possible_revocations
        order by row_number""").fetchall()
    assert view == [(batch, 1, "who_is_this", None), (batch, 2, "not_interested", None)]


def test_deciding_opt_out_suppresses_the_number_everywhere_and_records_the_os_account(conn, data_dir, monkeypatch):
    batch = held(conn, data_dir)
    assert audience(conn) == ["••••••••••01", "••••••••••02"]
    monkeypatch.setenv("USER", "mallory")  # who decides is the real uid's account, never $USER
    decided = revocations.decide(conn, batch, 2, "opt_out", note="ticket 7", now=DECIDED)
    assert (decided.decided_by, decided.business_days) == (ME, 7)
    assert consent.is_suppressed(conn, ANN, "sms") and not consent.is_suppressed(conn, BO, "sms")
    assert audience(conn) == ["••••••••••02"]
    assert conn.execute("""select kind, scope, method, effective_at, batch_id, row_number from core.consent_events
        where method = 'reviewed_revocation'""").fetchall() == [("opt_out", "sms", "reviewed_revocation", DECIDED,
                                                                  batch, 2)]
    assert conn.execute("""select decision, decided_by, note, decided_at from ops.revocation_decisions""").fetchall() \
        == [("opt_out", ME, "ticket 7", DECIDED)]
    assert [r["row_number"] for r in revocations.list_undecided(conn, now=DECIDED)] == [1]
    view = conn.execute("""select row_number, decision, business_days from marts.possible_revocations
        where row_number = 2""").fetchall()
    assert view == [(2, "opt_out", 7)]  # receipt (Mon 26 Oct) to the decision (Wed 4 Nov)


def test_a_message_decided_once_cannot_be_decided_again(conn, data_dir):
    batch = held(conn, data_dir)
    revocations.decide(conn, batch, 1, "not_revocation", now=DECIDED)
    with pytest.raises(revocations.AlreadyDecided, match=rf"batch {batch} row 1 was already decided"):
        revocations.decide(conn, batch, 1, "opt_out", now=DECIDED)
    assert not consent.is_suppressed(conn, BO, "sms")
    assert conn.execute("select count(*) from ops.revocation_decisions").fetchone()[0] == 1


def test_not_revocation_leaves_the_number_in_its_audiences(conn, data_dir):
    batch = held(conn, data_dir)
    events = conn.execute("select count(*) from core.consent_events").fetchone()[0]
    revocations.decide(conn, batch, 1, "not_revocation", note="asked who we are; answered", now=DECIDED)
    assert conn.execute("select count(*) from core.consent_events").fetchone()[0] == events
    assert not consent.is_suppressed(conn, BO, "sms")
    assert audience(conn) == ["••••••••••01", "••••••••••02"]


def test_an_account_not_allowed_to_review_is_refused_and_nothing_is_recorded(conn, data_dir, tmp_path, monkeypatch):
    batch = held(conn, data_dir)
    path = allow(tmp_path, monkeypatch, ["someone-else"])
    with pytest.raises(access.AccessDenied, match=str(path)):
        revocations.decide(conn, batch, 2, "opt_out", now=DECIDED)
    assert conn.execute("select count(*) from ops.revocation_decisions").fetchone()[0] == 0
    assert not consent.is_suppressed(conn, ANN, "sms")


def test_only_a_held_possible_revocation_can_be_decided(conn, data_dir):
    apply(conn, data_dir, "stop", [(ANN, "STOP", "2026-10-29 09:00:00")])
    batch = conn.execute("select max(batch_id) from ops.inbound_batches").fetchone()[0]
    with pytest.raises(revocations.NotAPossibleRevocation, match="optline revocations"):
        revocations.decide(conn, batch, 1, "opt_out", now=DECIDED)
    with pytest.raises(ValueError, match="opt_out or not_revocation"):
        revocations.decide(conn, batch, 1, "maybe", now=DECIDED)


def test_the_command_lists_masked_and_decides_by_batch_and_row(conn, data_dir, capsys):
    batch = held(conn, data_dir)
    conn.close()
    assert main(["revocations"]) == 0
    out = capsys.readouterr().out
    assert f"{batch}:2" in out and "not_interested" in out and "+•••••••••01" in out
    assert "5550101" not in out and "interested" not in out.replace("not_interested", "")
    assert main(["revocations", "--decide", f"{batch}:2", "--opt-out", "--note", "ticket 7"]) == 0
    out = capsys.readouterr().out
    assert f"{batch}:2" in out and ME in out and "5550101" not in out
    assert main(["revocations", "--decide", f"{batch}:2", "--not-revocation"]) == 2
    assert "already decided" in capsys.readouterr().err
    assert main(["revocations", "--decide", "nonsense", "--opt-out"]) == 2
    assert "BATCH:ROW" in capsys.readouterr().err


def test_reviewers_are_reminded_once_per_message_and_clock_level_until_it_is_decided(conn, data_dir):
    batch = held(conn, data_dir)
    assert revocations.due_reminders(conn, now=DECIDED) == []  # 7 and 4 business days: ok
    late = dt.datetime(2026, 11, 10, 9, tzinfo=dt.UTC)
    due = revocations.due_reminders(conn, now=late)
    assert [(r["row_number"], r["clock"]) for r in due] == [(2, "over_limit"), (1, "near_limit")]
    revocations.record_reminders(conn, due, late)
    assert revocations.due_reminders(conn, now=late) == []  # told: not again at the same level
    later = dt.datetime(2026, 11, 16, 9, tzinfo=dt.UTC)  # BO's clock passes the limit too (11 Nov not counted)
    assert [(r["row_number"], r["clock"]) for r in revocations.due_reminders(conn, now=later)] == [
        (1, "over_limit")]
    revocations.decide(conn, batch, 1, "not_revocation", now=later)
    assert revocations.due_reminders(conn, now=later) == []  # decided: nothing to remind of


def test_the_reminder_says_how_many_wait_and_how_to_decide_without_a_number(conn, data_dir):
    from optline.reports import notices

    held(conn, data_dir)
    notice = notices.revocation_notice(revocations.due_reminders(conn, now=dt.datetime(2026, 11, 10, 9,
                                                                                       tzinfo=dt.UTC)))
    assert notice.event == "revocations_near_limit"
    assert (notice.data["waiting"], notice.data["over_limit"], notice.data["near_limit"]) == (2, 1, 1)
    assert notice.data["oldest_business_days"] == 11 and "optline revocations" in notice.text
    everything = notice.subject + notice.text + str(notice.as_json())
    assert "5550101" not in everything and "5550102" not in everything and "interested" not in everything
