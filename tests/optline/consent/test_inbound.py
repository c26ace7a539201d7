"""Inbound messages: each intent's effect on the ledger, lists and outbox; order; idempotence."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

from optline.consent import inbound
from optline.consent import ledger as consent
from optline.contacts import pipeline
from optline.intake.manifest import ManifestError
from optline.intake.readers import MalformedFileError
from optline.runs import RunContext
from tests.helpers import warehouse_snapshot, write_csv

AS_OF = dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.UTC)  # a Monday
ANN, BO = "+14155550101", "+14155550102"
MANIFEST = {"channel": "sms", "keywords": {"PIZZA": "Pizza Lovers"},
            "help_reply": "Pizza Palace: reply STOP to cancel.", "welcome_reply": "Welcome to {list} ({keyword})!"}
_files = iter(range(1, 1000))


def when(days_ago: float) -> str:
    return (AS_OF - dt.timedelta(days=days_ago)).strftime("%Y-%m-%d %H:%M:%S")


def export(data_dir: Path, messages: list[tuple[str, str, str]], header=("From", "To", "Body", "Received At"),
           name: str | None = None, **manifest) -> Path:
    folder = data_dir / "inbound"
    folder.mkdir(exist_ok=True)
    path = folder / (name or f"export_{next(_files)}.csv")
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows([[frm, "+1 415 555 0199", body, received] for frm, body, received in messages])
    (folder / f"{path.stem}.manifest.yaml").write_text(yaml.safe_dump({**MANIFEST, **manifest}), encoding="utf-8")
    return path


def apply(conn, data_dir: Path, messages, **manifest) -> inbound.InboundResult:
    return inbound.apply_file(conn, export(data_dir, messages, **manifest), RunContext(as_of=AS_OF),
                              data_dir / "reports")


def outcomes(conn, batch_id: int) -> list[tuple]:
    return conn.execute("""select row_number, intent, outcome, action, reason from staging.inbound_outcomes
        where batch_id = ? order by row_number""", [batch_id]).fetchall()


def events(conn) -> list[tuple]:
    return conn.execute("select kind, scope, method, source from core.consent_events order by event_id").fetchall()


def welcomes(conn) -> int:
    return conn.execute("select count(*) from msg.outbox where kind = 'welcome'").fetchone()[0]


# --- opt-outs ----------------------------------------------------------------------------------

def test_stop_opts_the_number_out_of_the_files_channel_from_the_time_it_was_received(conn, data_dir):
    result = apply(conn, data_dir, [(ANN, "Stop please", when(1))])
    assert (result.applied, result.opt_outs) == (1, 1)
    assert consent.is_suppressed(conn, ANN, "sms") and not consent.is_suppressed(conn, ANN, "whatsapp")
    assert events(conn) == [("opt_out", "sms", "STOP", "inbound")]
    effective = conn.execute("select effective_at from core.consent_events").fetchone()[0]
    assert effective == AS_OF - dt.timedelta(days=1)


def test_stopall_opts_the_number_out_of_every_channel(conn, data_dir):
    apply(conn, data_dir, [(ANN, "STOPALL", when(1))], channel="whatsapp")
    assert consent.is_suppressed(conn, ANN, "sms") and consent.is_suppressed(conn, ANN, "whatsapp")
    assert events(conn) == [("opt_out", "all", "STOPALL", "inbound")]


def test_an_opt_out_with_an_unreadable_time_still_applies_at_the_time_it_was_applied(conn, data_dir):
    result = apply(conn, data_dir, [(ANN, "unsubscribe", "yesterday-ish"), (BO, "hello", "yesterday-ish")])
    assert consent.is_suppressed(conn, ANN, "sms")
    assert conn.execute("select effective_at from core.consent_events").fetchone()[0] == AS_OF
    assert outcomes(conn, result.batch_id)[1][2:] == ("invalid", "none", "invalid_received_at")


# --- START -------------------------------------------------------------------------------------

def test_start_resubscribes_a_number_that_opted_out(conn, data_dir):
    apply(conn, data_dir, [(ANN, "STOP", when(3))])
    result = apply(conn, data_dir, [(ANN, "START", when(1))])
    assert outcomes(conn, result.batch_id) == [(1, "opt_in", "applied", "resubscribe", None)]
    assert not consent.is_suppressed(conn, ANN, "sms")
    assert [e[0] for e in events(conn)] == ["opt_out", "resubscribe"]


def test_start_resubscribes_a_number_with_a_pending_membership(conn, data_dir):
    path = write_csv(data_dir / "inbox" / "list.csv", [["phone", "first_name", "dob", "opt_in"],
                                                       ["(415) 555-0101", "Ann", "1990-01-01", "2026-10-01"]])
    pipeline.import_file(conn, path, RunContext(as_of=AS_OF), data_dir / "reports")
    assert conn.execute("select status from core.memberships").fetchall() == [("pending",)]
    result = apply(conn, data_dir, [(ANN, "yes", when(1))])
    assert outcomes(conn, result.batch_id)[0][2:4] == ("applied", "resubscribe")
    assert events(conn)[-1] == ("resubscribe", "sms", "YES", "inbound")


def test_start_from_a_number_neither_opted_out_nor_pending_is_ignored(conn, data_dir):
    apply(conn, data_dir, [(BO, "STOP", when(2))])  # another number's opt-out does not count
    result = apply(conn, data_dir, [(ANN, "start", when(1))])
    assert outcomes(conn, result.batch_id) == [(1, "opt_in", "ignored", "none", "not_opted_out")]
    assert (result.applied, result.ignored) == (0, 1)
    assert events(conn) == [("opt_out", "sms", "STOP", "inbound")]


def test_start_on_another_channel_than_the_opt_out_is_ignored(conn, data_dir):
    apply(conn, data_dir, [(ANN, "STOP", when(2))], channel="whatsapp")
    result = apply(conn, data_dir, [(ANN, "UNSTOP", when(1))], channel="sms")
    assert outcomes(conn, result.batch_id)[0][2:] == ("ignored", "none", "not_opted_out")
    assert consent.is_suppressed(conn, ANN, "whatsapp")


# --- HELP and other ----------------------------------------------------------------------------

def test_help_queues_one_help_reply_with_the_manifests_text(conn, data_dir):
    result = apply(conn, data_dir, [(ANN, "help", when(1))])
    outbox = conn.execute("select kind, e164, channel, body, status, idempotency_key from msg.outbox").fetchall()
    assert outbox == [("help", ANN, "sms", "Pizza Palace: reply STOP to cancel.", "queued",
                       f"help:{result.batch_id}:1")]
    assert events(conn) == []


def test_an_unrelated_message_is_recorded_and_changes_nothing_else(conn, data_dir):
    result = apply(conn, data_dir, [(ANN, "Is the shop open on Sunday? I want pizza", when(1))])
    assert outcomes(conn, result.batch_id) == [(1, "other", "ignored", "none", "no_keyword")]
    assert conn.execute("select body from staging.inbound_messages").fetchone()[0].startswith("Is the shop")
    assert events(conn) == [] and welcomes(conn) == 0
    assert conn.execute("select count(*) from core.contacts").fetchone()[0] == 0


def test_rows_the_provider_sent_are_ignored_when_the_export_has_a_direction(conn, data_dir):
    path = data_dir / "inbound" / "twilio.csv"
    path.parent.mkdir(exist_ok=True)
    path.write_text("From,To,Body,Direction,DateSent\n"
                    f"+14155550199,{ANN},Reply STOP to opt out,outbound-api,{when(2)}\n"
                    f"{ANN},+14155550199,stop,inbound,{when(1)}\n", encoding="utf-8")
    (path.parent / "twilio.manifest.yaml").write_text(yaml.safe_dump(MANIFEST), encoding="utf-8")
    result = inbound.apply_file(conn, path, RunContext(as_of=AS_OF), data_dir / "reports")
    assert [o[2:] for o in outcomes(conn, result.batch_id)] == [("ignored", "none", "not_inbound"),
                                                                ("applied", "opt_out", None)]
    assert not consent.is_suppressed(conn, "+14155550199", "sms")


# --- keyword joins -----------------------------------------------------------------------------

def test_a_keyword_joins_the_list_as_an_active_member_with_a_welcome(conn, data_dir):
    apply(conn, data_dir, [(ANN, "Join pizza!", when(1))])
    assert conn.execute("select name, name_key from core.lists").fetchall() == [("Pizza Lovers", "pizza lovers")]
    assert conn.execute("select e164, first_name, last_name from core.contacts").fetchall() == [(ANN, None, None)]
    assert conn.execute("select channel, status from core.memberships").fetchall() == [("sms", "active")]
    assert conn.execute("select count(*) from core.phone_numbers where number_hmac is not null").fetchone()[0] == 1
    assert events(conn) == [("resubscribe", "sms", "PIZZA", "inbound")]
    assert conn.execute("select kind, body from msg.outbox").fetchall() == [
        ("welcome", "Welcome to Pizza Lovers (PIZZA)!")]


def test_the_welcome_goes_out_only_the_first_time_a_number_ever_joins(conn, data_dir):
    apply(conn, data_dir, [(ANN, "PIZZA", when(4)), (ANN, "pizza", when(3.5))])
    apply(conn, data_dir, [(ANN, "STOP", when(3))])
    assert consent.is_suppressed(conn, ANN, "sms")
    apply(conn, data_dir, [(ANN, "START", when(2))])
    assert not consent.is_suppressed(conn, ANN, "sms")
    apply(conn, data_dir, [(ANN, "STOP", when(1.5))])
    apply(conn, data_dir, [(ANN, "pizza please", when(1)), (BO, "PIZZA", when(1))])
    assert not consent.is_suppressed(conn, ANN, "sms")  # the number's own keyword lifts its opt-out
    assert conn.execute("select e164 from msg.outbox where kind = 'welcome' order by outbox_id").fetchall() == [
        (ANN,), (BO,)]
    assert conn.execute("select count(*) from msg.keyword_joins").fetchone()[0] == 2


def test_a_keyword_join_activates_a_pending_imported_membership_without_a_new_contact(conn, data_dir):
    path = write_csv(data_dir / "inbox" / "list.csv", [["phone", "first_name", "dob", "opt_in"],
                                                       ["(415) 555-0101", "Ann", "1990-01-01", "2026-10-01"]],
                     lists=["pizza lovers"])
    pipeline.import_file(conn, path, RunContext(as_of=AS_OF), data_dir / "reports")
    apply(conn, data_dir, [(ANN, "PIZZA", when(1))])
    assert conn.execute("select first_name from core.contacts").fetchall() == [("Ann",)]
    assert conn.execute("select status from core.memberships").fetchall() == [("active",)]


# --- order, idempotence, failures --------------------------------------------------------------

@pytest.mark.parametrize("stop_days_ago,suppressed", [(1, True), (3, False)])
def test_messages_apply_in_the_order_received_not_the_order_in_the_file(conn, data_dir, stop_days_ago, suppressed):
    result = apply(conn, data_dir, [(ANN, "STOP", when(stop_days_ago)), (ANN, "PIZZA", when(2))])
    assert consent.is_suppressed(conn, ANN, "sms") is suppressed
    order = conn.execute("select row_number from staging.inbound_outcomes where batch_id = ? order by apply_order",
                         [result.batch_id]).fetchall()
    assert order == ([(2,), (1,)] if suppressed else [(1,), (2,)])


def test_stop_then_start_in_one_file_resubscribes_and_start_then_stop_does_not(conn, data_dir):
    first = apply(conn, data_dir, [(ANN, "START", when(1)), (ANN, "STOP", when(2))])
    assert [o[3] for o in outcomes(conn, first.batch_id)] == ["resubscribe", "opt_out"]
    assert not consent.is_suppressed(conn, ANN, "sms")
    second = apply(conn, data_dir, [(BO, "STOP", when(1)), (BO, "START", when(2))])
    assert [o[3] for o in outcomes(conn, second.batch_id)] == ["opt_out", "none"]
    assert consent.is_suppressed(conn, BO, "sms")


def test_the_same_export_dropped_again_changes_nothing(conn, data_dir):
    files = inbound.write_samples(data_dir / "inbound", AS_OF.date())
    first = inbound.apply_file(conn, files[0], RunContext(as_of=AS_OF), data_dir / "reports")
    before = warehouse_snapshot(conn)
    again = inbound.apply_file(conn, files[0], RunContext(as_of=AS_OF + dt.timedelta(hours=1)), data_dir / "reports")
    assert again.already_imported and again.batch_id == first.batch_id
    assert warehouse_snapshot(conn) == before


def test_lines_read_are_applied_plus_ignored_plus_invalid(conn, data_dir):
    result = apply(conn, data_dir, [(ANN, "STOP", when(1)), ("12345", "STOP", when(1)), ("", "HELP", when(1)),
                                    (BO, "HELP", "31/31/2026"), (BO, "HELP", when(-2)), (BO, "hi", when(1))])
    assert (result.lines_read, result.applied, result.ignored, result.invalid) == (6, 1, 1, 4)
    assert [o[4] for o in outcomes(conn, result.batch_id)] == [
        None, "invalid_number", "missing_from", "invalid_received_at", "future_received_at", "no_keyword"]


@pytest.mark.parametrize("content,cause", [
    ('From,Body,Received At\n+14155550101,"STOP\n', "not valid CSV"),
    ("Sender,Date\n+14155550101,2026-11-01\n", "no message column"),
    ("", "no rows"),
])
def test_a_malformed_export_leaves_the_warehouse_untouched(conn, data_dir, content, cause):
    apply(conn, data_dir, [(BO, "STOP", when(1))])
    before = warehouse_snapshot(conn)
    path = data_dir / "inbound" / "broken.csv"
    path.write_text(content, encoding="utf-8")
    (path.parent / "broken.manifest.yaml").write_text(yaml.safe_dump(MANIFEST), encoding="utf-8")
    with pytest.raises(MalformedFileError, match=cause) as failure:
        inbound.apply_file(conn, path, RunContext(as_of=AS_OF), data_dir / "reports")
    assert "broken.csv" in str(failure.value) and "5550101" not in str(failure.value)
    assert warehouse_snapshot(conn) == before


@pytest.mark.parametrize("manifest,key", [
    ({"keywords": {"STOP": "Oops"}}, "keywords.STOP"),
    ({"keywords": {"PIZZA NOW": "Oops"}}, "keywords.PIZZA NOW"),
    ({"welcome_reply": "Hi {name}"}, "welcome_reply"),
    ({"channel": "email"}, "channel"),
])
def test_an_invalid_manifest_names_the_key(conn, data_dir, manifest, key):
    path = export(data_dir, [(ANN, "STOP", when(1))], **manifest)
    with pytest.raises(ManifestError, match=key.replace(" ", ".")):
        inbound.apply_file(conn, path, RunContext(as_of=AS_OF), data_dir / "reports")
    assert conn.execute("select count(*) from ops.inbound_batches").fetchone()[0] == 0


@pytest.mark.parametrize("header", [("from_number", "To", "Message", "date_received"),
                                    ("Sender", "To", "Text", "DateSent")])
def test_header_variants_are_recognized(conn, data_dir, header):
    path = export(data_dir, [(ANN, "STOP", when(1))], header=header)
    assert inbound.apply_file(conn, path, RunContext(as_of=AS_OF), data_dir / "reports").opt_outs == 1


# --- report ------------------------------------------------------------------------------------

def test_the_report_gives_business_days_per_opt_out_and_flags_those_beyond_ten(conn, data_dir):
    result = apply(conn, data_dir, [(ANN, "STOP", "2026-10-30 16:00:00"),   # Friday -> Monday: 1
                                    (BO, "cancel", "2026-10-16 09:00:00"),  # 11 business days
                                    ("+14155550103", "end", "2026-10-19 09:00:00")])  # exactly 10: not flagged
    assert (result.opt_outs, result.opt_outs_over_limit) == (3, 1)
    folder = Path(result.report_dir)
    assert folder == data_dir / "reports" / "inbound" / f"{result.batch_id:06d}"
    with (folder / "opt_outs.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["keyword"], r["business_days"], r["over_limit"]) for r in rows] == [
        ("CANCEL", "11", "yes"), ("END", "10", "no"), ("STOP", "1", "no")]
    assert rows[2]["number"] == "'+•••••••••01" and rows[2]["received_at"] == "2026-10-30T16:00:00+00:00"
    assert rows[2]["applied_at"] == AS_OF.isoformat()
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert (summary["opt_outs"], summary["opt_outs_over_limit"], summary["lines_read"]) == (3, 1, 3)
    text = (folder / "opt_outs.csv").read_text(encoding="utf-8") + json.dumps(summary)
    assert "5550101" not in text and "5550102" not in text
    batch = conn.execute("select opt_outs, opt_outs_over_limit from ops.inbound_batches").fetchone()
    assert batch == (3, 1)


# --- revocation by any reasonable means -------------------------------------------------------

TWO_LISTS = {"keywords": {"PIZZA": "Pizza Lovers", "TACO": "Taco Tuesday"}}


def audiences(conn, e164_tail: str) -> list[tuple]:
    return conn.execute("select list_name, channel from marts.audiences where e164_masked like ? order by all",
                        [f"%{e164_tail}"]).fetchall()


def possible_revocations_report(result: inbound.InboundResult) -> list[dict]:
    with (Path(result.report_dir) / "possible_revocations.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_remove_me_from_your_list_suppresses_the_number_and_it_leaves_every_audience(conn, data_dir):
    apply(conn, data_dir, [(ANN, "PIZZA", when(3)), (ANN, "taco", when(3)), (BO, "PIZZA", when(3))], **TWO_LISTS)
    assert audiences(conn, "01") == [("Pizza Lovers", "sms"), ("Taco Tuesday", "sms")]
    result = apply(conn, data_dir, [(ANN, "Remove me from your list!", when(1))], **TWO_LISTS)
    assert (result.applied, result.opt_outs) == (1, 1)
    assert consent.is_suppressed(conn, ANN, "sms")
    assert audiences(conn, "01") == [] and audiences(conn, "02") == [("Pizza Lovers", "sms")]
    assert events(conn)[-1] == ("opt_out", "sms", "REMOVE ME", "inbound")
    assert outcomes(conn, result.batch_id) == [(1, "opt_out", "applied", "opt_out", None)]


def test_not_interested_goes_to_the_possible_revocation_list_with_its_business_days(conn, data_dir):
    apply(conn, data_dir, [(ANN, "PIZZA", when(30))])
    result = apply(conn, data_dir, [
        (ANN, "not interested", "2026-10-30 16:00:00"),       # Friday -> Monday: 1 business day
        (BO, "Who is this?", "2026-10-21 09:00:00"),           # 8 business days: near the limit
        ("+14155550103", "stop by the store", "2026-10-15 09:00:00"),  # 12: over the limit
        ("+14155550104", "Thanks!", when(1)),
    ])
    assert (result.lines_read, result.applied, result.ignored, result.invalid, result.review) == (4, 0, 1, 0, 3)
    assert result.opt_outs == 0
    assert [o[1:] for o in outcomes(conn, result.batch_id)][:3] == [
        ("possible_revocation", "review", "none", "possible_revocation")] * 3
    assert not consent.is_suppressed(conn, ANN, "sms")  # undecided: not applied automatically
    assert audiences(conn, "01") == [("Pizza Lovers", "sms")]
    rows = possible_revocations_report(result)
    assert [(r["rule"], r["matched"], r["business_days"], r["decide_by"], r["clock"], r["decision"]) for r in rows] == [
        ("opt_out_word_in_message", "STOP", "12", "2026-10-29", "over_limit", "undecided"),
        ("who_is_this", "WHO IS THIS", "8", "2026-11-04", "near_limit", "undecided"),
        ("not_interested", "NOT INTERESTED", "1", "2026-11-16", "ok", "undecided"),  # Veterans Day (11 Nov) skipped
    ]
    assert rows[2]["number"] == "'+•••••••••01" and rows[2]["received_at"] == "2026-10-30T16:00:00+00:00"
    summary = json.loads((Path(result.report_dir) / "summary.json").read_text(encoding="utf-8"))
    assert summary["possible_revocations"] == {"undecided": 3, "near_limit": 1, "over_limit": 1}
    text = (Path(result.report_dir) / "possible_revocations.csv").read_text(encoding="utf-8") + json.dumps(summary)
    assert "5550101" not in text and "store" not in text.lower()  # numbers masked, no message bodies
    mart = conn.execute("""select intent, outcome, reason, messages from marts.inbound_outcomes
        where batch_id = ? and outcome = 'review'""", [result.batch_id]).fetchall()
    assert mart == [("possible_revocation", "review", "possible_revocation", 3)]


def test_a_possible_revocation_with_an_unreadable_time_is_kept_for_review_from_the_time_applied(conn, data_dir):
    result = apply(conn, data_dir, [(ANN, "not interested", "yesterday-ish")])
    assert outcomes(conn, result.batch_id)[0][2:] == ("review", "none", "possible_revocation")
    row = possible_revocations_report(result)[0]
    assert (row["received_at"], row["business_days"], row["decide_by"]) == ("", "0", "2026-11-17")  # 11 Nov skipped


def test_a_broken_phrase_file_fails_the_export_before_anything_is_written(conn, data_dir, tmp_path, monkeypatch):
    policies = tmp_path / "policies"
    policies.mkdir()
    words = "[STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT]"
    (policies / "revocation.yaml").write_text(f"words: {words}\nphrases: remove me\npossible: []\n", encoding="utf-8")
    monkeypatch.setenv("OPTLINE_POLICY_DIR", str(policies))
    from optline.consent.keywords import RevocationConfigError
    with pytest.raises(RevocationConfigError, match=r"revocation.yaml: `phrases`"):
        apply(conn, data_dir, [(ANN, "STOP", when(1))])
    assert conn.execute("select count(*) from ops.inbound_batches").fetchone()[0] == 0


# --- bounds: no free text is stored past its limit -------------------------------------------

def _longest_stored(conn, batch_id: int) -> dict[str, int]:
    row = conn.execute("""select max(length(body)), max(length(from_raw)), max(length(to_raw)),
        max(length(received_at_raw)), max(length(direction))
        from staging.inbound_messages where batch_id = ?""", [batch_id]).fetchone()
    return dict(zip(("body", "from_raw", "to_raw", "received_at_raw", "direction"), row, strict=True))


def test_a_body_longer_than_an_sms_can_be_is_invalid_and_not_stored(conn, data_dir):
    """1,600 characters: the longest body Twilio sends or receives (error 21617); past it the row
    is no text a person sent. Its STOP prefix is not acted on; the other rows are applied."""
    long_stop = "STOP " + "x" * (inbound.MAX_BODY_CHARS["sms"] + 100)
    result = apply(conn, data_dir, [(ANN, long_stop, when(1)), (BO, "STOP", when(1)),
                                    (ANN, "y" * inbound.MAX_BODY_CHARS["sms"], when(1))])
    assert (result.lines_read, result.invalid, result.opt_outs) == (3, 1, 1)
    assert outcomes(conn, result.batch_id)[0][2:] == ("invalid", "none", "body_too_long")
    assert not consent.is_suppressed(conn, ANN, "sms") and consent.is_suppressed(conn, BO, "sms")
    assert _longest_stored(conn, result.batch_id)["body"] == inbound.MAX_BODY_CHARS["sms"]
    summary = json.loads((Path(result.report_dir) / "summary.json").read_text(encoding="utf-8"))
    assert {"row_number": 1, "line_number": 2, "reason": "body_too_long"} in summary["invalid_rows"]
    assert "xxxxxxxx" not in json.dumps(summary)


def test_whatsapp_bodies_may_be_as_long_as_whatsapp_allows(conn, data_dir):
    body = "hello " + "z" * (inbound.MAX_BODY_CHARS["whatsapp"] - 6)
    result = apply(conn, data_dir, [(ANN, body, when(1)), (BO, body + "z", when(1))], channel="whatsapp")
    assert [o[4] for o in outcomes(conn, result.batch_id)] == ["no_keyword", "body_too_long"]


@pytest.mark.parametrize("column", ["From", "To", "Direction"])
def test_an_overlong_sender_recipient_time_or_direction_is_invalid_and_not_stored(conn, data_dir, column):
    header = ("From", "To", "Body", "Received At", "Direction")
    row = {"From": ANN, "To": "+1 415 555 0199", "Body": "STOP", "Received At": when(1), "Direction": "inbound"}
    row[column] = row[column] + "9" * 500
    folder = data_dir / "inbound"
    folder.mkdir(exist_ok=True)
    path = write_csv(folder / "long_field.csv", [list(header), [row[h] for h in header],
                                                 [BO, "+1 415 555 0199", "STOP", when(1), "inbound"]])
    (folder / "long_field.manifest.yaml").write_text(yaml.safe_dump(MANIFEST), encoding="utf-8")
    result = inbound.apply_file(conn, path, RunContext(as_of=AS_OF), data_dir / "reports")
    assert outcomes(conn, result.batch_id)[0][2:] == ("invalid", "none", "field_too_long")
    assert not consent.is_suppressed(conn, ANN, "sms") and consent.is_suppressed(conn, BO, "sms")
    longest = _longest_stored(conn, result.batch_id)
    assert all(n is None or n <= inbound.MAX_BODY_CHARS["sms"] for n in longest.values())
    assert all(longest[k] is None or longest[k] <= inbound.MAX_FIELD_CHARS[k] for k in inbound.MAX_FIELD_CHARS)


def test_an_overlong_time_is_not_stored_and_reads_as_unreadable(conn, data_dir):
    """An opt-out is never dropped for its time: it applies at the application time; another
    message with an overlong time is invalid as with any unreadable time."""
    garbage = "2026-11-01 " + "9" * 500
    result = apply(conn, data_dir, [(ANN, "STOP", garbage), (BO, "HELP", garbage)])
    assert [o[2:] for o in outcomes(conn, result.batch_id)] == [("applied", "opt_out", None),
                                                               ("invalid", "none", "invalid_received_at")]
    assert consent.is_suppressed(conn, ANN, "sms")
    assert _longest_stored(conn, result.batch_id)["received_at_raw"] is None


def test_a_ten_megabyte_body_refuses_the_file_naming_the_line_and_writes_nothing(conn, data_dir):
    """The CSV reader's field limit (1 MiB, optline.intake.readers) stops it before any row is kept."""
    path = export(data_dir, [(BO, "STOP", when(1)), (ANN, "STOP " + "x" * 10_000_000, when(1))])
    before = warehouse_snapshot(conn)
    with pytest.raises(MalformedFileError) as refused:
        inbound.apply_file(conn, path, RunContext(as_of=AS_OF), data_dir / "reports")
    assert path.name in str(refused.value) and "line 3" in str(refused.value)
    assert "xxxx" not in str(refused.value)
    assert warehouse_snapshot(conn) == before
