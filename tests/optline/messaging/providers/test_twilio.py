"""The Twilio provider against a real HTTP stand-in on 127.0.0.1: what each send outcome promises
(accepted / retry / unknown / rejected), that lookup reconciles the uncertain ones, and that no
request is ever sent twice."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from optline.messaging.providers import LookupOutcome, SendOutcome
from tests.optline.messaging.providers.provider_setup import (
    BODY,
    FROM,
    SLOW,
    TIMEOUT,
    TO,
    message,
    now,
    twilio_provider,
)

pytestmark = pytest.mark.timeout(30)


# --------------------------------------------------------------------------- Twilio: send


def test_twilio_accepted_returns_the_standin_sid_and_sends_to_from_body_with_basic_auth(twilio, provider):
    outcome = provider.send(message())

    assert outcome.status == "accepted" and outcome.http_status == 201
    [stored] = twilio.accepted
    assert outcome.provider_message_id == stored["sid"] and stored["sid"].startswith("SM")
    [request] = twilio.received
    assert (request["to"], request["from"], request["body"]) == (TO, FROM, BODY)
    assert request["messaging_service_sid"] is None
    assert request["auth_ok"] and request["account_ok"]


def test_twilio_uses_the_messaging_service_when_configured(twilio):
    p = twilio_provider(twilio, from_number=None, messaging_service_sid="MG" + "1" * 32)
    m = message()

    outcome = p.send(m)

    assert outcome.status == "accepted"
    [request] = twilio.received
    assert request["messaging_service_sid"] == "MG" + "1" * 32 and request["from"] is None
    found = p.lookup(m, known_ids=[])
    assert (found.status, found.provider_message_id, found.provider_status) == \
        ("found", outcome.provider_message_id, "accepted")


def test_twilio_whatsapp_addresses_are_prefixed(twilio):
    p = twilio_provider(twilio, whatsapp_from="+17025550199")
    m = message(channel="whatsapp")

    outcome = p.send(m)

    assert outcome.status == "accepted"
    [request] = twilio.received
    assert (request["to"], request["from"]) == ("whatsapp:" + TO, "whatsapp:+17025550199")
    assert p.lookup(m, known_ids=[]).provider_message_id == outcome.provider_message_id
    assert twilio.list_requests[-1]["params"]["To"] == "whatsapp:" + TO


def test_twilio_whatsapp_without_a_whatsapp_sender_is_rejected_without_sending(twilio, provider):
    outcome = provider.send(message(channel="whatsapp"))

    assert (outcome.status, outcome.error) == ("rejected", "whatsapp_from not configured")
    assert twilio.received == []


def test_twilio_429_is_retry_with_retry_after(twilio, provider):
    twilio.retry_after = "7"
    twilio.script(["429"])

    outcome = provider.send(message())

    assert outcome == SendOutcome("retry", error="http 429", http_status=429, retry_after=7.0)
    assert len(twilio.received) == 1 and twilio.accepted == []


def test_twilio_500_is_unknown_and_lookup_then_finds_nothing(twilio, provider):
    twilio.script(["500"])
    m = message()

    outcome = provider.send(m)

    assert (outcome.status, outcome.error, outcome.http_status) == ("unknown", "http 500", 500)
    assert provider.lookup(m, known_ids=[]).status == "not_found"
    assert len(twilio.received) == 1


def test_twilio_503_with_retry_after_is_unknown_but_keeps_the_wait(twilio, provider):
    twilio.script(["503"])

    outcome = provider.send(message())

    assert (outcome.status, outcome.http_status, outcome.retry_after) == ("unknown", 503, 1.0)


def test_twilio_500_after_accept_is_unknown_then_lookup_finds_the_sid(twilio, provider):
    twilio.script(["500_after_accept"])
    m = message()

    outcome = provider.send(m)

    assert (outcome.status, outcome.http_status) == ("unknown", 500)
    [stored] = twilio.accepted
    twilio.set_status(stored["sid"], "delivered")
    found = provider.lookup(m, known_ids=[])
    assert found == LookupOutcome("found", provider_message_id=stored["sid"], provider_status="delivered")
    assert len(twilio.received) == 1


def test_twilio_read_timeout_is_unknown_within_the_timeout_then_lookup_finds_it(twilio, provider):
    twilio.script(["timeout"])
    m = message()

    started = time.monotonic()
    outcome = provider.send(m)
    elapsed = time.monotonic() - started

    assert (outcome.status, outcome.error) == ("unknown", "read timeout")
    assert TIMEOUT * 0.9 <= elapsed < SLOW
    [stored] = twilio.accepted
    assert provider.lookup(m, known_ids=[]).provider_message_id == stored["sid"]
    assert len(twilio.received) == 1


def test_twilio_connection_dropped_after_accept_is_unknown_then_lookup_finds_it(twilio, provider):
    twilio.script(["drop_after_accept"])
    m = message()

    outcome = provider.send(m)

    assert (outcome.status, outcome.error) == ("unknown", "connection dropped")
    [stored] = twilio.accepted
    assert provider.lookup(m, known_ids=[]) == LookupOutcome("found", stored["sid"], "queued")
    assert len(twilio.received) == 1


@pytest.mark.parametrize(("mode", "code"), [("invalid_number", 21211), ("unsubscribed", 21610)])
def test_twilio_invalid_or_unsubscribed_recipient_is_rejected_with_the_code(twilio, provider, mode, code):
    twilio.script([mode])

    outcome = provider.send(message())

    assert outcome == SendOutcome("rejected", error=f"twilio {code}", http_status=400)
    assert twilio.accepted == [] and len(twilio.received) == 1


def test_twilio_malformed_number_is_rejected_and_the_error_does_not_repeat_it(twilio, provider):
    # Twilio's own 21211 message quotes the number; the outcome must not.
    outcome = provider.send(message(to="702-555-0115"))

    assert outcome == SendOutcome("rejected", error="twilio 21211", http_status=400)


def test_twilio_wrong_auth_token_is_rejected_http_401(twilio):
    p = twilio_provider(twilio, auth_token="not-the-token")

    outcome = p.send(message())

    assert (outcome.status, outcome.error, outcome.http_status) == ("rejected", "twilio 20003", 401)
    assert twilio.received[0]["auth_ok"] is False and twilio.accepted == []


def test_twilio_connection_refused_is_retry(twilio, provider):
    assert provider.send(message()).status == "accepted"  # a pooled keep-alive connection exists
    twilio.stop()

    outcome = provider.send(message())

    assert (outcome.status, outcome.error) == ("retry", "connect failed")
    assert len(twilio.received) == 1


@pytest.mark.parametrize("mode", ["ok", "429", "500", "503", "500_after_accept", "timeout", "drop_after_accept",
                                  "invalid_number", "unsubscribed"])
def test_twilio_sdk_never_sends_a_post_twice(twilio, provider, mode):
    twilio.script([mode])

    provider.send(message())

    assert [r["mode"] for r in twilio.received] == [mode]


def test_twilio_ignores_twilio_environment_variables(twilio, monkeypatch):
    # The SDK reads TWILIO_EDGE/REGION from os.environ and rewrites the host to
    # api.<edge>.<region>.twilio.com; the provider must still reach base_url with its own credentials.
    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    monkeypatch.setenv("TWILIO_REGION", "au1")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "from-the-environment")
    p = twilio_provider(twilio)

    assert p.send(message()).status == "accepted"
    assert twilio.received[0]["auth_ok"]


def test_twilio_kill_after_accept_kills_the_sender_and_lookup_finds_the_message(twilio, tmp_path):
    script = tmp_path / "sender.py"
    script.write_text(textwrap.dedent("""
        import datetime as dt, os, sys
        from optline.messaging.providers import OutgoingMessage, TwilioProvider, TwilioSettings
        provider = TwilioProvider(TwilioSettings(account_sid=os.environ["SID"], auth_token=os.environ["TOKEN"],
                                                 from_number=os.environ["FROM"], base_url=os.environ["URL"], timeout=5))
        claimed_at = dt.datetime.fromisoformat(sys.stdin.readline().strip())
        print(provider.send(OutgoingMessage("k-kill", os.environ["TO"], "sms", os.environ["BODY"], claimed_at)))
        print("survived", flush=True)
    """))
    env = {**os.environ, "SID": twilio.account_sid, "TOKEN": twilio.auth_token, "FROM": FROM, "URL": twilio.url,
           "TO": TO, "BODY": BODY}
    proc = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, text=True)
    twilio.kill_pid = proc.pid
    twilio.script(["kill_after_accept"])
    claimed_at = now()

    out, err = proc.communicate(claimed_at.isoformat() + "\n", timeout=20)

    assert proc.returncode == -signal.SIGKILL, err
    assert "survived" not in out
    [stored] = twilio.accepted
    p = twilio_provider(twilio)
    assert p.lookup(message(key="k-kill", claimed_at=claimed_at), known_ids=[]).provider_message_id == stored["sid"]
    assert len(twilio.received) == 1


# --------------------------------------------------------------------------- Twilio: lookup


def test_twilio_lookup_of_a_message_never_received_is_not_found(twilio, provider):
    assert provider.lookup(message(), known_ids=[]) == LookupOutcome("not_found")
    assert len(twilio.list_requests) == 1 and twilio.list_requests[0]["params"]["To"] == TO
    assert twilio.list_requests[0]["params"]["From"] == FROM


def test_twilio_lookup_ignores_known_ids_messages_before_the_window_and_other_bodies(twilio, provider):
    m = message()
    old = m.claimed_at - dt.timedelta(minutes=10)
    twilio.add_message(TO, BODY, from_=FROM, date_created=old, date_sent=old, status="delivered")
    known = twilio.add_message(TO, BODY, from_=FROM)["sid"]                       # another outbox row's
    twilio.add_message(TO, "Pizza Palace: your order is ready.", from_=FROM)      # another body
    twilio.add_message("+17025550116", BODY, from_=FROM)                          # another recipient
    twilio.add_message(TO, BODY, from_="+17025550101")                            # another sender

    assert provider.lookup(m, known_ids=[known]) == LookupOutcome("not_found")

    # Just inside the 2-minute skew still counts.
    ours = twilio.add_message(TO, BODY, from_=FROM, date_created=m.claimed_at - dt.timedelta(seconds=90))
    assert provider.lookup(m, known_ids=[known]).provider_message_id == ours["sid"]


def test_twilio_lookup_pages_through_more_than_one_page(twilio):
    p = twilio_provider(twilio, lookup_page_size=2)
    m = message()
    ours = twilio.add_message(TO, BODY, from_=FROM, date_created=m.claimed_at)
    for i in range(5):
        twilio.add_message(TO, f"later message {i}", from_=FROM,
                           date_created=m.claimed_at + dt.timedelta(seconds=i + 1))

    found = p.lookup(m, known_ids=[])

    assert found.provider_message_id == ours["sid"]
    pages = twilio.list_requests
    assert len(pages) == 3 and all(r["params"]["PageSize"] == "2" for r in pages)
    assert "PageToken" not in pages[0]["params"] and pages[2]["params"]["PageToken"].startswith("PASM")


def test_twilio_lookup_stops_paging_once_messages_are_older_than_the_window(twilio):
    p = twilio_provider(twilio, lookup_page_size=2)
    m = message()
    for minutes in range(10, 30):
        when = m.claimed_at - dt.timedelta(minutes=minutes)
        twilio.add_message(TO, BODY, from_=FROM, date_created=when, date_sent=when, status="delivered")

    assert p.lookup(m, known_ids=[]) == LookupOutcome("not_found")
    assert len(twilio.list_requests) == 1  # ten pages exist; the first one was enough


def test_twilio_lookup_pages_past_old_messages_that_were_never_sent(twilio):
    # Twilio documents the listing as ordered by date sent; an old message still queued
    # (date_sent null) must not end the search.
    p = twilio_provider(twilio, lookup_page_size=1)
    m = message()
    old = m.claimed_at - dt.timedelta(minutes=30)
    twilio.add_message(TO, "stuck", from_=FROM, date_created=old)
    twilio.add_message(TO, BODY, from_=FROM, date_created=old - dt.timedelta(minutes=1), date_sent=old)

    assert p.lookup(m, known_ids=[]).status == "not_found"
    assert len(twilio.list_requests) == 2


@pytest.mark.parametrize("faults", [["500"], ["429"], ["drop"], ["timeout"], ["ok", "500"]],
                         ids=["500", "429", "drop", "timeout", "second-page-500"])
def test_twilio_lookup_with_a_failing_listing_is_unknown(twilio, faults):
    p = twilio_provider(twilio, lookup_page_size=1)
    m = message()
    for i in range(3):
        twilio.add_message(TO, f"other {i}", from_=FROM, date_created=m.claimed_at)
    twilio.fail_lists(faults)

    outcome = p.lookup(m, known_ids=[])

    assert outcome.status == "unknown" and outcome.error
    assert len(twilio.list_requests) == len(faults)


def test_twilio_lookup_that_cannot_reach_the_window_is_unknown(twilio):
    p = twilio_provider(twilio, lookup_page_size=1, lookup_max_pages=2)
    m = message()
    for i in range(3):
        twilio.add_message(TO, f"other {i}", from_=FROM, date_created=m.claimed_at)

    assert p.lookup(m, known_ids=[]).status == "unknown"


def test_twilio_lookup_with_the_server_down_is_unknown(twilio, provider):
    twilio.stop()

    assert provider.lookup(message(), known_ids=[]) == LookupOutcome("unknown", error="connect failed")
