"""Delivery status files (exports and saved callbacks) update each sent message's delivery
status, on a real DuckDB warehouse."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from optline.intake.readers import MalformedFileError
from optline.messaging import delivery
from optline.runs import RunContext
from tests.helpers import warehouse_snapshot

SID_A = "SM" + "a" * 32
SID_B = "SM" + "b" * 32
SID_C = "SM" + "c" * 32
SID_UNKNOWN = "SM" + "f" * 32
NUMBERS = {SID_A: "+17025550115", SID_B: "+17025550116", SID_C: "+17025550117"}
OUR_NUMBER = "+17025550199"


@pytest.fixture
def outbox(conn):
    """Three messages sent (status `sent`, a provider id each), no delivery status yet."""
    for i, (sid, e164) in enumerate(NUMBERS.items(), start=1):
        conn.execute(
            "insert into msg.outbox (outbox_id, idempotency_key, kind, e164, channel, template, body, status, "
            "provider, provider_message_id, sent_at, finished_at, updated_at) "
            "values (?, ?, 'help', ?, 'sms', 'Reply STOP', 'Reply STOP to opt out.', 'sent', 'twilio', ?, "
            "timestamptz '2026-10-31 09:00:00+00', timestamptz '2026-10-31 09:00:00+00', "
            "timestamptz '2026-10-31 09:00:00+00')",
            [i, f"help:1:{i}", e164, sid])
    conn.execute("update ops.id_counters set last_id = ? where name = 'outbox_id'", [len(NUMBERS)])
    return conn


@pytest.fixture
def reports_dir(data_dir: Path) -> Path:
    return data_dir / "reports"


def delivery_state(conn) -> dict[str, tuple]:
    rows = conn.execute("select provider_message_id, status, delivery_status, delivery_updated_at, updated_at "
                        "from msg.outbox order by outbox_id").fetchall()
    return {r[0]: r[1:] for r in rows}


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def form(**fields: str) -> str:
    from urllib.parse import urlencode
    return urlencode(fields)


def test_a_csv_export_sets_each_messages_delivery_status_and_leaves_status_sent(outbox, data_dir, as_of,
                                                                                 reports_dir):
    path = write(data_dir / "delivery" / "export.csv",
                 "Sid,From,To,Body,Status,ErrorCode,DateUpdated\n"
                 f"{SID_A},{OUR_NUMBER},{NUMBERS[SID_A]},Hi there,delivered,,2026-10-31T09:01:00Z\n"
                 f"{SID_B},{OUR_NUMBER},{NUMBERS[SID_B]},Hi there,undelivered,30003,2026-10-31 09:02:00\n")

    result = delivery.apply_file(outbox, path, RunContext(as_of=as_of), reports_dir)

    state = delivery_state(outbox)
    assert state[SID_A] == ("sent", "delivered", dt.datetime(2026, 10, 31, 9, 1, tzinfo=dt.UTC), as_of)
    assert state[SID_B][:2] == ("sent", "undelivered")
    assert state[SID_C][:2] == ("sent", None)
    assert (result.lines_read, result.applied, result.unmatched, result.invalid) == (2, 2, 0, 0)
    assert result.messages_updated == 2
    assert result.by_status == {"delivered": {"applied": 1, "unmatched": 0},
                                "undelivered": {"applied": 1, "unmatched": 0}}
    events = outbox.execute("select status, error_code, file_name, row_number from msg.delivery_events "
                            "order by row_number").fetchall()
    assert events == [("delivered", None, "export.csv", 1), ("undelivered", "30003", "export.csv", 2)]


def test_form_encoded_callback_lines_as_twilio_posts_them_are_applied(outbox, data_dir, as_of, reports_dir):
    lines = [
        form(SmsSid=SID_A, SmsStatus="sent", MessageStatus="sent", To=NUMBERS[SID_A], MessageSid=SID_A,
             AccountSid="AC" + "0" * 32, From=OUR_NUMBER, ApiVersion="2010-04-01"),
        form(SmsSid=SID_A, SmsStatus="delivered", MessageStatus="delivered", To=NUMBERS[SID_A], MessageSid=SID_A,
             RawDlrDoneDate="2610310905", From=OUR_NUMBER),
        form(MessageSid=SID_B, MessageStatus="undelivered", ErrorCode="30003", To=NUMBERS[SID_B], From=OUR_NUMBER),
    ]
    path = write(data_dir / "delivery" / "callbacks-2026-10-31.txt", "\n".join(lines) + "\n")

    result = delivery.apply_file(outbox, path, RunContext(as_of=as_of), reports_dir)

    state = delivery_state(outbox)
    assert state[SID_A][1:3] == ("delivered", dt.datetime(2026, 10, 31, 9, 5, tzinfo=dt.UTC))
    assert state[SID_B][1] == "undelivered"
    assert (result.lines_read, result.applied, result.invalid) == (3, 3, 0)
    assert outbox.execute("select error_code from msg.delivery_events where status = 'undelivered'"
                          ).fetchone() == ("30003",)


def test_jsonl_callbacks_are_applied(outbox, data_dir, as_of, reports_dir):
    lines = [
        {"MessageSid": SID_A, "MessageStatus": "Delivered", "To": NUMBERS[SID_A], "Timestamp": "2026-10-31T09:03:00Z"},
        {"sid": SID_B, "status": "failed", "error_code": 30008, "date_updated": "Sat, 31 Oct 2026 09:04:00 +0000"},
        {"specversion": "1.0", "type": "com.twilio.messaging.message.delivered", "id": "EZ" + "1" * 32,
         "data": {"messageSid": SID_C, "messageStatus": "DELIVERED", "to": NUMBERS[SID_C],
                  "timestamp": "2026-10-31T09:08:00.000Z"}},
    ]
    path = write(data_dir / "delivery" / "callbacks.jsonl", "".join(json.dumps(x) + "\n" for x in lines))

    result = delivery.apply_file(outbox, path, RunContext(as_of=as_of), reports_dir)

    state = delivery_state(outbox)
    assert state[SID_A][1] == "delivered"  # case normalized
    assert state[SID_B][1:3] == ("failed", dt.datetime(2026, 10, 31, 9, 4, tzinfo=dt.UTC))
    assert state[SID_C][1:3] == ("delivered", dt.datetime(2026, 10, 31, 9, 8, tzinfo=dt.UTC))
    assert (result.applied, result.invalid) == (3, 0)
    assert outbox.execute("select error_code from msg.delivery_events where status = 'failed'"
                          ).fetchone() == ("30008",)


def test_a_late_sent_does_not_overwrite_delivered_in_the_same_file_or_a_later_one(outbox, data_dir, as_of,
                                                                                   reports_dir):
    first = write(data_dir / "delivery" / "a.jsonl",
                  json.dumps({"MessageSid": SID_A, "MessageStatus": "delivered", "Timestamp": "2026-10-31T09:05:00Z"})
                  + "\n"
                  + json.dumps({"MessageSid": SID_A, "MessageStatus": "sent", "Timestamp": "2026-10-31T09:06:00Z"})
                  + "\n")
    delivery.apply_file(outbox, first, RunContext(as_of=as_of), reports_dir)
    assert delivery_state(outbox)[SID_A][1] == "delivered"

    later = write(data_dir / "delivery" / "b.txt",
                  form(MessageSid=SID_A, MessageStatus="sent") + "\n"
                  + form(MessageSid=SID_A, MessageStatus="queued") + "\n")
    result = delivery.apply_file(outbox, later, RunContext(as_of=as_of + dt.timedelta(hours=1)), reports_dir)

    assert delivery_state(outbox)[SID_A][1:3] == (
        "delivered", dt.datetime(2026, 10, 31, 9, 5, tzinfo=dt.UTC))
    assert result.applied == 2 and result.messages_updated == 0
    assert outbox.execute("select count(*) from msg.delivery_events").fetchone() == (4,)


def test_a_more_advanced_status_wins_and_at_the_same_rank_the_newer_report(outbox, data_dir, as_of, reports_dir):
    # newest first, as exports often are: undelivered (09:10) is newer than delivered (09:05)
    path = write(data_dir / "delivery" / "export.csv",
                 "MessageSid,MessageStatus,Timestamp\n"
                 f"{SID_A},undelivered,2026-10-31T09:10:00Z\n"
                 f"{SID_A},delivered,2026-10-31T09:05:00Z\n"
                 f"{SID_B},read,2026-10-31T09:20:00Z\n"
                 f"{SID_B},delivered,2026-10-31T09:30:00Z\n"
                 f"{SID_C},sent,\n"
                 f"{SID_C},delivered,\n")  # no times: file order decides
    delivery.apply_file(outbox, path, RunContext(as_of=as_of), reports_dir)

    state = delivery_state(outbox)
    assert state[SID_A][1] == "undelivered"
    assert state[SID_B][1] == "read"
    assert state[SID_C][1:3] == ("delivered", as_of)


def test_an_unknown_message_id_is_kept_as_unmatched_with_no_outbox_id(outbox, data_dir, as_of, reports_dir):
    path = write(data_dir / "delivery" / "export.csv",
                 f"message_id,status\n{SID_UNKNOWN},delivered\n{SID_A},delivered\n")

    result = delivery.apply_file(outbox, path, RunContext(as_of=as_of), reports_dir)

    assert (result.applied, result.unmatched, result.invalid) == (1, 1, 0)
    assert result.by_status == {"delivered": {"applied": 1, "unmatched": 1}}
    assert outbox.execute("select outbox_id from msg.delivery_events where provider_message_id = ?",
                          [SID_UNKNOWN]).fetchall() == [(None,)]


def test_invalid_lines_are_recorded_with_their_reasons_and_change_nothing(outbox, data_dir, as_of, reports_dir):
    lines = [
        form(MessageSid=SID_A, MessageStatus="delivered"),     # 1 applied
        form(MessageStatus="delivered"),                       # 2 missing_message_id
        form(MessageSid=SID_B, MessageStatus="bounced"),       # 3 unknown_status
        form(MessageSid=SID_B),                                # 4 missing_status
        "",                                                    # 5 blank_line
        "this is not a callback",                              # 6 unreadable_line
        "{not json",                                           # 7 invalid_json
        form(MessageSid=NUMBERS[SID_C], MessageStatus="sent"),  # 8 invalid_message_id (a number, not an id)
        form(MessageSid=SID_C, MessageStatus="sent", Timestamp="yesterday"),             # 9 invalid_reported_at
        form(MessageSid=SID_C, MessageStatus="sent", Timestamp="2027-01-01T00:00:00Z"),  # 10 future_reported_at
    ]
    path = write(data_dir / "delivery" / "callbacks.txt", "\n".join(lines) + "\n")

    result = delivery.apply_file(outbox, path, RunContext(as_of=as_of), reports_dir)

    assert result.invalid_by_reason == {
        "blank_line": 1, "future_reported_at": 1, "invalid_json": 1, "invalid_message_id": 1,
        "invalid_reported_at": 1, "missing_message_id": 1, "missing_status": 1, "unknown_status": 1,
        "unreadable_line": 1}
    reasons = outbox.execute("select line_number, reason from staging.delivery_lines where outcome = 'invalid' "
                             "order by line_number").fetchall()
    assert [r[0] for r in reasons] == [2, 3, 4, 5, 6, 7, 8, 9, 10]
    state = delivery_state(outbox)
    assert state[SID_B][1] is None and state[SID_C][1] is None
    assert outbox.execute("select count(*) from msg.delivery_events").fetchone() == (1,)
    # an invalid line keeps no value it could not vouch for (the misplaced number)
    assert outbox.execute("select count(*) from staging.delivery_lines where provider_message_id = ?",
                          [NUMBERS[SID_C]]).fetchone() == (0,)


def test_lines_read_equal_applied_plus_unmatched_plus_invalid_in_result_warehouse_and_report(
        outbox, data_dir, as_of, reports_dir):
    path = write(data_dir / "delivery" / "export.csv",
                 "SmsSid,SmsStatus\n"
                 f"{SID_A},delivered\n{SID_UNKNOWN},sent\n,delivered\n{SID_B},lost\n\n{SID_C},sending\n")

    result = delivery.apply_file(outbox, path, RunContext(as_of=as_of), reports_dir)

    assert result.lines_read == 6
    assert (result.applied, result.unmatched, result.invalid) == (2, 1, 3)
    assert result.applied + result.unmatched + result.invalid == result.lines_read
    stored = outbox.execute("select lines_read, lines_applied, lines_unmatched, lines_invalid "
                            "from ops.delivery_files").fetchone()
    assert stored == (6, 2, 1, 3)
    assert outbox.execute("select count(*) from staging.delivery_lines").fetchone() == (6,)
    report = json.loads(Path(result.report_path).read_text())
    assert report["lines_read"] == report["applied"] + report["unmatched"] + report["invalid"] == 6
    assert result.as_xcom() == {
        "file_name": "export.csv", "already_applied": False, "lines_read": 6, "applied": 2, "unmatched": 1,
        "invalid": 3, "messages_updated": 2,
        "by_status": {"delivered": {"applied": 1, "unmatched": 0}, "sending": {"applied": 1, "unmatched": 0},
                      "sent": {"applied": 0, "unmatched": 1}},
        "invalid_by_reason": {"blank_line": 1, "missing_message_id": 1, "unknown_status": 1},
    }


def test_the_same_file_applied_again_changes_nothing(outbox, data_dir, as_of, reports_dir):
    path = write(data_dir / "delivery" / "export.csv", f"Sid,Status\n{SID_A},delivered\n{SID_UNKNOWN},sent\n")
    first = delivery.apply_file(outbox, path, RunContext(as_of=as_of), reports_dir)
    before = warehouse_snapshot(outbox)

    again = delivery.apply_file(outbox, path, RunContext(as_of=as_of + dt.timedelta(days=1)), reports_dir)

    assert warehouse_snapshot(outbox) == before
    assert again.already_applied and not first.already_applied
    Path(first.report_path).unlink()  # a lost report is written again, from the warehouse
    delivery.apply_file(outbox, path, RunContext(as_of=as_of), reports_dir)
    assert json.loads(Path(first.report_path).read_text())["applied"] == 1
    assert (again.lines_read, again.applied, again.unmatched) == (first.lines_read, first.applied, first.unmatched)
    # the same bytes under another name are recognized too
    copy = write(data_dir / "delivery" / "export-copy.csv", path.read_text())
    same = delivery.apply_file(outbox, copy, RunContext(as_of=as_of), reports_dir)
    assert same.already_applied and same.file_name == "export.csv" and same.report_path == first.report_path
    assert warehouse_snapshot(outbox) == before


def test_a_file_without_a_status_column_fails_whole_naming_the_file_and_line(outbox, data_dir, as_of,
                                                                              reports_dir):
    delivery.apply_file(outbox, write(data_dir / "delivery" / "good.csv", f"Sid,Status\n{SID_A},sent\n"),
                        RunContext(as_of=as_of), reports_dir)
    before = warehouse_snapshot(outbox)
    path = write(data_dir / "delivery" / "no_status.csv",
                 f"\nSid,To,Body\n{SID_B},{NUMBERS[SID_B]},hello\n")

    with pytest.raises(MalformedFileError) as caught:
        delivery.apply_file(outbox, path, RunContext(as_of=as_of), reports_dir)

    assert caught.value.file_name == "no_status.csv" and caught.value.line == 2
    assert "status column" in str(caught.value)
    assert warehouse_snapshot(outbox) == before
    assert not list((reports_dir / "delivery").glob("no_status-*.json"))


def test_a_file_of_numbers_with_no_header_fails_without_echoing_a_number(outbox, data_dir, as_of, reports_dir):
    path = write(data_dir / "delivery" / "numbers.csv", f"{NUMBERS[SID_A]},{NUMBERS[SID_B]}\n")
    before = warehouse_snapshot(outbox)

    with pytest.raises(MalformedFileError) as caught:
        delivery.apply_file(outbox, path, RunContext(as_of=as_of), reports_dir)

    assert "numbers.csv" in str(caught.value)
    assert "555" not in str(caught.value)
    assert warehouse_snapshot(outbox) == before


def test_an_undecodable_callback_file_fails_naming_file_and_line(outbox, data_dir, as_of, reports_dir):
    path = data_dir / "delivery" / "broken.jsonl"
    path.parent.mkdir(parents=True)
    path.write_bytes(b'{"MessageSid": "SMx", "MessageStatus": "sent"}\n{"x": "\x00"}\n')
    before = warehouse_snapshot(outbox)

    with pytest.raises(MalformedFileError) as caught:
        delivery.apply_file(outbox, path, RunContext(as_of=as_of), reports_dir)

    assert (caught.value.file_name, caught.value.line) == ("broken.jsonl", 2)
    assert warehouse_snapshot(outbox) == before


@pytest.mark.parametrize(("id_header", "status_header", "error_header", "time_header"), [
    ("MessageSid", "MessageStatus", "ErrorCode", "Timestamp"),
    ("Sid", "Status", "Error Code", "DateUpdated"),
    ("SmsSid", "SmsStatus", "error_code", "date_updated"),
    ("message_id", "status", "ERROR_CODE", "Date Updated"),
    ("id", "STATUS", "ErrorCode", "RawDlrDoneDate"),
    ("\ufeffMessage SID", " Message Status ", "errorcode", "timestamp"),
])
def test_header_variants_are_recognized(outbox, data_dir, as_of, reports_dir, id_header, status_header,
                                        error_header, time_header):
    when = "2610310907" if time_header == "RawDlrDoneDate" else "2026-10-31T09:07:00Z"
    path = write(data_dir / "delivery" / "export.csv",
                 f"{id_header};{status_header};{error_header};{time_header}\n{SID_A};undelivered;30005;{when}\n")

    result = delivery.apply_file(outbox, path, RunContext(as_of=as_of), reports_dir)

    assert result.applied == 1
    assert delivery_state(outbox)[SID_A][1:3] == (
        "undelivered", dt.datetime(2026, 10, 31, 9, 7, tzinfo=dt.UTC))
    assert outbox.execute("select error_code from msg.delivery_events").fetchone() == ("30005",)


def test_the_report_holds_counts_and_no_number_id_or_body_even_when_the_file_has_to_and_from(
        outbox, data_dir, as_of, reports_dir, caplog):
    path = write(data_dir / "delivery" / "twilio_export.csv",
                 "From,To,Body,Status,SentDate,ErrorCode,AccountSid,Sid\n"
                 f"{OUR_NUMBER},{NUMBERS[SID_A]},Secret body text,delivered,2026-10-31,,AC{'0' * 32},{SID_A}\n"
                 f"{OUR_NUMBER},{NUMBERS[SID_B]},Secret body text,bogus,2026-10-31,,AC{'0' * 32},{SID_B}\n"
                 f"{OUR_NUMBER},+15005550006,Secret body text,sent,2026-10-31,,AC{'0' * 32},{SID_UNKNOWN}\n")
    caplog.set_level("DEBUG", logger="optline.messaging.delivery")

    result = delivery.apply_file(outbox, path, RunContext(as_of=as_of), reports_dir)

    report = Path(result.report_path)
    assert report == reports_dir / "delivery" / f"twilio_export-{result.file_sha256[:8]}.json"
    text = report.read_text()
    summary = json.loads(text)
    assert (summary["applied"], summary["unmatched"], summary["invalid"]) == (1, 1, 1)
    assert summary["invalid_lines"] == [{"line": 3, "reason": "unknown_status"}]
    for secret in (*NUMBERS.values(), OUR_NUMBER, "+15005550006", "Secret body", SID_A, SID_B, SID_UNKNOWN):
        assert secret not in text
        assert secret not in caplog.text
        assert secret not in json.dumps(result.as_xcom())
    assert not re.search(r"\+?\d{10,}", text)
    # the To/From/Body columns are not read into the warehouse either
    assert "Secret" not in str(warehouse_snapshot(outbox)["staging.delivery_lines"])


def test_apply_inbox_applies_good_files_in_name_order_and_lists_the_bad_ones_at_the_end(
        outbox, data_dir, as_of, reports_dir):
    folder = data_dir / "delivery"
    write(folder / "1-sent.txt", form(MessageSid=SID_A, MessageStatus="sent") + "\n")
    write(folder / "2-bad.csv", f"Sid,To\n{SID_A},{NUMBERS[SID_A]}\n")
    write(folder / "3-delivered.jsonl", json.dumps({"MessageSid": SID_A, "MessageStatus": "delivered"}) + "\n")
    write(folder / "3-delivered.manifest.yaml", "note: skipped\n")
    write(folder / ".4-partial.jsonl", "{")

    with pytest.raises(delivery.DeliveryInboxError) as caught:
        delivery.apply_inbox(outbox, folder, RunContext(as_of=as_of), reports_dir)

    assert [r.file_name for r in caught.value.results] == ["1-sent.txt", "3-delivered.jsonl"]
    assert [name for name, _ in caught.value.failures] == ["2-bad.csv"]
    assert "2-bad.csv, line 1" in str(caught.value)
    assert delivery_state(outbox)[SID_A][1] == "delivered"

    # fixed and dropped again: the applied files are recognized, the fixed one applies
    write(folder / "2-bad.csv", f"Sid,Status\n{SID_B},delivered\n")
    results = delivery.apply_inbox(outbox, folder, RunContext(as_of=as_of), reports_dir)
    assert [(r.file_name, r.already_applied) for r in results] == [
        ("1-sent.txt", True), ("2-bad.csv", False), ("3-delivered.jsonl", True)]
