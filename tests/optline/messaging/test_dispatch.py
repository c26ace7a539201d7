"""The dispatcher against a Twilio stand-in on loopback: sends once, reconciles unknown
outcomes before any resend, cancels suppressed numbers, waits for quiet hours and caps."""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging

import pytest
import yaml

from optline.consent import inbound
from optline.messaging import dispatch
from optline.messaging.settings import DispatchSettings
from optline.runs import RunContext
from tests.helpers import person
from tests.optline.messaging.messaging_setup import (
    DAYTIME,
    FAST,
    assert_no_message_reached_a_suppressed_number,
    fixed,
    outbox_rows,
    policy,
    queue_welcomes,
    twilio_provider,
)
from tests.standins.twilio_server import TwilioStandIn

RUN = RunContext(as_of=DAYTIME, dag_id="test", run_id="t1")
VEGAS = [person(f"+1 702 555 01{n:02d}", f"P{n}", state="NV") for n in range(10, 16)]


@pytest.fixture
def twilio(conn):
    with TwilioStandIn(delay=1.5) as server:
        yield server
    assert_no_message_reached_a_suppressed_number(conn, server.received)


def send(conn, provider, when, settings=FAST, **kwargs):
    return dispatch.dispatch(conn, provider, RunContext(as_of=when, dag_id="test", run_id=str(when)), settings,
                             policy(), clock=fixed(when), **kwargs)


def accepted_per_number(twilio) -> dict[str, int]:
    counts: dict[str, int] = {}
    for m in twilio.accepted:
        counts[m["to"]] = counts.get(m["to"], 0) + 1
    return counts


def test_due_messages_are_sent_once_each_with_the_providers_id_recorded(conn, tmp_path, twilio):
    assert queue_welcomes(conn, tmp_path, VEGAS) == 6
    result = send(conn, twilio_provider(twilio.url, tmp_path), DAYTIME)
    assert (result.sent, result.unknown, result.failed) == (6, 0, 0)
    rows = outbox_rows(conn)
    assert {r["status"] for r in rows} == {"sent"} and all(r["attempts"] == 1 for r in rows)
    assert sorted(r["provider_message_id"] for r in rows) == sorted(m["sid"] for m in twilio.accepted)
    assert accepted_per_number(twilio) == {f"+170255501{n}": 1 for n in range(10, 16)}
    assert "Hi P10, reply YES to join Main." in {m["body"] for m in twilio.accepted}
    again = send(conn, twilio_provider(twilio.url, tmp_path), DAYTIME + dt.timedelta(hours=1))
    assert again.sent == 0 and len(twilio.received) == 6
    attempts = conn.execute("select action, outcome, count(*) from msg.send_attempts group by all").fetchall()
    assert attempts == [("send", "accepted", 6)]


def test_a_stop_received_after_queueing_cancels_the_message_and_the_provider_never_sees_the_number(
        conn, tmp_path, data_dir, twilio):
    queue_welcomes(conn, tmp_path, VEGAS[:3])
    folder = data_dir / "inbound"
    folder.mkdir()
    export = folder / "texts.csv"
    with export.open("w", newline="") as fh:
        csv.writer(fh).writerows([["From", "Body", "Received At"], ["+17025550111", "stop", "2026-11-02 10:00"]])
    (folder / "texts.manifest.yaml").write_text(yaml.safe_dump({"channel": "sms"}))
    inbound.apply_file(conn, export, RunContext(as_of=DAYTIME - dt.timedelta(hours=1)), data_dir / "reports")

    result = send(conn, twilio_provider(twilio.url, tmp_path), DAYTIME)
    assert result.sent == 2 and result.cancelled == {"suppressed": 1}
    assert "+17025550111" not in {r["to"] for r in twilio.received}
    cancelled = [r for r in outbox_rows(conn) if r["status"] == "cancelled"]
    assert [(r["e164"], r["status_reason"], r["attempts"]) for r in cancelled] == [("+17025550111", "suppressed", 0)]


def test_a_suspended_number_is_cancelled_at_send_time(conn, tmp_path, twilio):
    queue_welcomes(conn, tmp_path, VEGAS[:2])
    conn.execute("""insert into core.number_status_events (number_hmac, action, effective_at, source)
        select number_hmac, 'suspend', timestamptz '2026-11-02 00:00:00+00', 'test'
        from core.phone_numbers where e164 = '+17025550110'""")
    result = send(conn, twilio_provider(twilio.url, tmp_path), DAYTIME)
    assert result.cancelled == {"suspended": 1} and [r["to"] for r in twilio.received] == ["+17025550111"]


def test_messages_outside_the_recipients_hours_wait_for_the_window_then_go(conn, tmp_path, twilio):
    queue_welcomes(conn, tmp_path, VEGAS[:2])
    night = dt.datetime(2026, 11, 2, 12, 30, tzinfo=dt.UTC)  # 04:30 in Las Vegas (PST, UTC-8)
    result = send(conn, twilio_provider(twilio.url, tmp_path), night)
    assert result.sent == 0 and result.deferred == {"quiet_hours": 2} and twilio.received == []
    opens = dt.datetime(2026, 11, 2, 16, 0, tzinfo=dt.UTC)  # 08:00 in Las Vegas
    assert {(r["status"], r["status_reason"], r["not_before"]) for r in outbox_rows(conn)} == {
        ("queued", "quiet_hours", opens)}
    assert send(conn, twilio_provider(twilio.url, tmp_path), opens - dt.timedelta(minutes=1)).sent == 0
    assert send(conn, twilio_provider(twilio.url, tmp_path), opens).sent == 2


def test_a_florida_number_gets_at_most_three_messages_in_24_hours(conn, tmp_path, twilio):
    queue_welcomes(conn, tmp_path, [person("+1 305 555 0120", "Flo", state="FL")],
                   lists=["One", "Two", "Three", "Four"])
    first = send(conn, twilio_provider(twilio.url, tmp_path), DAYTIME)
    assert first.sent == 3 and first.deferred == {"daily_cap": 1}
    waiting = [r for r in outbox_rows(conn) if r["status"] == "queued"]
    assert waiting[0]["status_reason"] == "daily_cap" and waiting[0]["not_before"] == DAYTIME + dt.timedelta(hours=24)
    assert send(conn, twilio_provider(twilio.url, tmp_path), DAYTIME + dt.timedelta(hours=24)).sent == 1
    assert accepted_per_number(twilio) == {"+13055550120": 4}


def test_a_429_leaves_the_message_queued_for_later_and_it_is_accepted_once(conn, tmp_path, twilio):
    queue_welcomes(conn, tmp_path, VEGAS[:1])
    twilio.script(["429"])
    result = send(conn, twilio_provider(twilio.url, tmp_path), DAYTIME)
    assert result.retry_later == 1 and result.sent == 0
    row = outbox_rows(conn)[0]
    assert (row["status"], row["status_reason"], row["attempts"]) == ("queued", "retry", 1)
    assert row["not_before"] == DAYTIME + dt.timedelta(seconds=60)
    assert send(conn, twilio_provider(twilio.url, tmp_path), DAYTIME + dt.timedelta(seconds=30)).sent == 0
    assert send(conn, twilio_provider(twilio.url, tmp_path), DAYTIME + dt.timedelta(seconds=60)).sent == 1
    assert len(twilio.received) == 2 and len(twilio.accepted) == 1


@pytest.mark.parametrize("fault", ["500_after_accept", "drop_after_accept", "timeout"])
def test_a_lost_answer_is_reconciled_with_the_provider_and_never_resent(conn, tmp_path, twilio, fault):
    queue_welcomes(conn, tmp_path, VEGAS[:3])
    twilio.script(["ok", fault])
    first = send(conn, twilio_provider(twilio.url, tmp_path), DAYTIME)
    assert (first.sent, first.unknown) == (2, 1)
    unknown = [r for r in outbox_rows(conn) if r["status"] == "claimed"]
    assert len(unknown) == 1 and unknown[0]["provider_message_id"] is None
    later = send(conn, twilio_provider(twilio.url, tmp_path), DAYTIME + dt.timedelta(minutes=10))
    assert (later.reconciled_sent, later.sent) == (1, 0)
    assert accepted_per_number(twilio) == {"+17025550110": 1, "+17025550111": 1, "+17025550112": 1}
    assert len(twilio.received) == 3  # no POST was repeated
    rows = outbox_rows(conn)
    assert {r["status"] for r in rows} == {"sent"}
    assert sorted(r["provider_message_id"] for r in rows) == sorted(m["sid"] for m in twilio.accepted)


def test_an_unknown_outcome_the_provider_never_got_is_sent_again_once(conn, tmp_path, twilio):
    queue_welcomes(conn, tmp_path, VEGAS[:1])
    twilio.script(["500"])
    assert send(conn, twilio_provider(twilio.url, tmp_path), DAYTIME).unknown == 1
    later = send(conn, twilio_provider(twilio.url, tmp_path), DAYTIME + dt.timedelta(minutes=10))
    assert (later.reconciled_requeued, later.sent) == (1, 1)
    assert len(twilio.received) == 2 and len(twilio.accepted) == 1
    assert outbox_rows(conn)[0]["attempts"] == 2


def test_when_the_provider_cannot_be_asked_the_claim_stays_and_nothing_is_resent(conn, tmp_path, twilio):
    queue_welcomes(conn, tmp_path, VEGAS[:1])
    twilio.script(["500_after_accept"])
    send(conn, twilio_provider(twilio.url, tmp_path), DAYTIME)
    twilio.fail_lists(["500"])
    stuck = send(conn, twilio_provider(twilio.url, tmp_path), DAYTIME + dt.timedelta(minutes=10))
    assert (stuck.unresolved, stuck.sent) == (1, 0) and outbox_rows(conn)[0]["status"] == "claimed"
    resolved = send(conn, twilio_provider(twilio.url, tmp_path), DAYTIME + dt.timedelta(minutes=20))
    assert resolved.reconciled_sent == 1 and len(twilio.received) == 1


def test_a_claim_younger_than_the_reconcile_delay_is_left_alone(conn, tmp_path, twilio):
    queue_welcomes(conn, tmp_path, VEGAS[:1])
    twilio.script(["500_after_accept"])
    send(conn, twilio_provider(twilio.url, tmp_path), DAYTIME)
    soon = send(conn, twilio_provider(twilio.url, tmp_path), DAYTIME + dt.timedelta(seconds=5))
    assert (soon.reconciled_sent, soon.unresolved, soon.sent) == (0, 0, 0) and twilio.list_requests == []


def test_a_refused_number_fails_for_good_with_the_providers_code(conn, tmp_path, twilio):
    queue_welcomes(conn, tmp_path, VEGAS[:2])
    twilio.script(["unsubscribed"])
    result = send(conn, twilio_provider(twilio.url, tmp_path), DAYTIME)
    assert (result.failed, result.sent) == (1, 1)
    failed = [r for r in outbox_rows(conn) if r["status"] == "failed"][0]
    assert failed["status_reason"] == "rejected" and "21610" in failed["last_error"]
    assert send(conn, twilio_provider(twilio.url, tmp_path), DAYTIME + dt.timedelta(hours=1)).sent == 0


def test_retries_end_after_max_attempts(conn, tmp_path, twilio):
    queue_welcomes(conn, tmp_path, VEGAS[:1])
    twilio.script(["429", "429", "429"])
    when = DAYTIME
    for _ in range(3):
        send(conn, twilio_provider(twilio.url, tmp_path), when)
        when += dt.timedelta(hours=1)
    row = outbox_rows(conn)[0]
    assert (row["status"], row["status_reason"], row["attempts"]) == ("failed", "max_attempts", 3)
    assert twilio.accepted == []


def test_calls_are_paced_to_the_rate_limit(conn, tmp_path, twilio):
    queue_welcomes(conn, tmp_path, VEGAS)
    settings = DispatchSettings(batch_size=2, rate_per_second=5, max_attempts=3)
    result = send(conn, twilio_provider(twilio.url, tmp_path), DAYTIME, settings)
    assert result.sent == 6
    times = [r["time"] for r in twilio.received]
    gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:])]
    assert min(gaps) >= 0.18  # 5 per second: never two calls closer than ~0.2 s


def test_a_run_stops_at_its_message_limit_and_the_rest_stays_queued(conn, tmp_path, twilio):
    queue_welcomes(conn, tmp_path, VEGAS)
    settings = DispatchSettings(batch_size=2, rate_per_second=1000, max_messages_per_run=4)
    result = send(conn, twilio_provider(twilio.url, tmp_path), DAYTIME, settings)
    assert (result.sent, result.stopped_by) == (4, "max_messages_per_run")
    assert [r["status"] for r in outbox_rows(conn)].count("queued") == 2


def test_the_sandbox_records_what_would_be_sent_and_sends_nothing(conn, tmp_path):
    from optline.messaging import providers

    queue_welcomes(conn, tmp_path, VEGAS[:2])
    sandbox = providers.build_provider("sandbox", {}, sandbox_dir=tmp_path / "sandbox")
    assert send(conn, sandbox, DAYTIME).sent == 2
    lines = [json.loads(line) for line in (tmp_path / "sandbox" / "messages.jsonl").read_text().splitlines()]
    assert sorted(m["to"] for m in lines) == ["+17025550110", "+17025550111"]
    assert {r["provider_message_id"] for r in outbox_rows(conn)} == {m["id"] for m in lines}


def test_dispatch_logs_counts_never_numbers_or_bodies(conn, tmp_path, twilio, caplog):
    queue_welcomes(conn, tmp_path, VEGAS[:3])
    twilio.script(["ok", "500_after_accept", "invalid_number"])
    with caplog.at_level(logging.DEBUG):
        send(conn, twilio_provider(twilio.url, tmp_path), DAYTIME)
        send(conn, twilio_provider(twilio.url, tmp_path), DAYTIME + dt.timedelta(minutes=10))
    text = caplog.text + json.dumps([r["last_error"] for r in outbox_rows(conn)])
    assert "reconciling 1 message" in text
    for n in range(10, 13):
        assert f"55501{n}" not in text
    assert "Hi P1" not in text


def test_wrong_credentials_stop_the_run_and_leave_the_message_queued(conn, tmp_path, twilio):
    queue_welcomes(conn, tmp_path, VEGAS[:2])
    wrong = twilio_provider(twilio.url, tmp_path, auth_token="not-the-token")
    with pytest.raises(dispatch.ProviderAuthError, match="refused our credentials"):
        send(conn, wrong, DAYTIME)
    assert [(r["status"], r["status_reason"]) for r in outbox_rows(conn)] == [("queued", "retry"), ("queued", None)]
    assert len(twilio.received) == 1 and twilio.accepted == []
    assert send(conn, twilio_provider(twilio.url, tmp_path), DAYTIME).sent == 2


def test_an_import_welcome_is_cancelled_once_the_number_confirmed_or_left_the_list(conn, tmp_path, twilio):
    queue_welcomes(conn, tmp_path, VEGAS[:3])
    conn.execute("""update core.memberships set status = 'active' where contact_id in
        (select contact_id from core.contacts where e164 = '+17025550110')""")
    conn.execute("""delete from core.memberships where contact_id in
        (select contact_id from core.contacts where e164 = '+17025550111')""")
    result = send(conn, twilio_provider(twilio.url, tmp_path), DAYTIME)
    assert result.sent == 1 and result.cancelled == {"not_pending": 2}
    assert [r["to"] for r in twilio.received] == ["+17025550112"]
