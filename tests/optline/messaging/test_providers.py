"""Message providers against real HTTP stand-ins on 127.0.0.1: what each outcome promises
(accepted / retry / unknown / rejected), that lookup reconciles the uncertain ones, that no
request is ever sent twice, and that nothing sensitive reaches an outcome or a log."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from types import SimpleNamespace

import pytest

from optline.config import ConfigError
from optline.messaging.providers import (
    LookupOutcome,
    OutgoingMessage,
    SandboxProvider,
    SendOutcome,
    TwilioProvider,
    TwilioSettings,
    WebhookProvider,
    WebhookSettings,
    build_provider,
    parse_retry_after,
    sandbox_message_id,
    settings_from_connection,
)
from tests.standins.twilio_server import TwilioStandIn
from tests.standins.webhook_server import WebhookStandIn

pytestmark = pytest.mark.timeout(30)

TO = "+17025550115"
FROM = "+17025550100"
BODY = "Pizza Palace: reply YES to join, STOP to opt out."
TIMEOUT = 0.5            # the providers' HTTP timeout in these tests
SLOW = 1.5               # how long a stand-in "timeout" fault holds its answer
_keys = iter(range(1, 100_000))


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def message(body: str = BODY, *, to: str = TO, channel: str = "sms", claimed_at: dt.datetime | None = None,
            key: str | None = None) -> OutgoingMessage:
    return OutgoingMessage(idempotency_key=key or f"outbox-{next(_keys)}", to=to, channel=channel, body=body,
                           claimed_at=claimed_at or now())


@pytest.fixture
def twilio():
    with TwilioStandIn(delay=SLOW) as server:
        yield server


def twilio_provider(server: TwilioStandIn, **overrides) -> TwilioProvider:
    settings = {"account_sid": server.account_sid, "auth_token": server.auth_token, "from_number": FROM,
                "base_url": server.url, "timeout": TIMEOUT, **overrides}
    return TwilioProvider(TwilioSettings(**{k: v for k, v in settings.items() if v is not None}))


@pytest.fixture
def provider(twilio):
    p = twilio_provider(twilio)
    yield p
    p.close()


@pytest.fixture
def hook():
    with WebhookStandIn(token="hook-secret-token", delay=SLOW) as server:
        yield server


@pytest.fixture
def webhook(hook):
    p = WebhookProvider(WebhookSettings(url=hook.messages_url, token="hook-secret-token",
                                        lookup_url=hook.lookup_url, timeout=TIMEOUT))
    yield p
    p.close()


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
        twilio.add_message(TO, f"later message {i}", from_=FROM, date_created=m.claimed_at + dt.timedelta(seconds=i + 1))

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


# --------------------------------------------------------------------------- sandbox


def test_sandbox_appends_one_fsynced_json_line_per_message(tmp_path, monkeypatch):
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    sandbox = SandboxProvider(tmp_path / "sandbox")
    first, second = message(key="key-1"), message("Second text", key="key-2", channel="whatsapp")

    outcomes = [sandbox.send(first), sandbox.send(second)]

    assert [o.status for o in outcomes] == ["accepted", "accepted"]
    assert outcomes[0].provider_message_id == sandbox_message_id("key-1")
    assert sandbox_message_id("key-1").startswith("SB") and len(sandbox_message_id("key-1")) == 34
    lines = (tmp_path / "sandbox" / "messages.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [(r["idempotency_key"], r["to"], r["channel"], r["body"], r["id"]) for r in records] == [
        ("key-1", TO, "sms", BODY, sandbox_message_id("key-1")),
        ("key-2", TO, "whatsapp", "Second text", sandbox_message_id("key-2"))]
    assert all(dt.datetime.fromisoformat(r["sent_at"]).tzinfo is not None for r in records)
    assert len(synced) >= 2  # the file on every send (and the folder once)
    assert oct((tmp_path / "sandbox" / "messages.jsonl").stat().st_mode & 0o777) == "0o600"


def test_sandbox_lookup_finds_a_sent_key_and_not_an_unsent_one(tmp_path):
    sandbox = SandboxProvider(tmp_path)
    assert sandbox.lookup(message(key="never"), known_ids=[]) == LookupOutcome("not_found")  # no file yet
    sent = message(key="sent")
    sandbox.send(sent)

    assert sandbox.lookup(sent, known_ids=[]) == LookupOutcome("found", sandbox_message_id("sent"), "recorded")
    assert sandbox.lookup(message(key="never"), known_ids=[]).status == "not_found"


def test_sandbox_keeps_lines_whole_after_a_torn_write(tmp_path):
    sandbox = SandboxProvider(tmp_path)
    sandbox.send(message(key="before"))
    with sandbox.path.open("ab") as handle:
        handle.write(b'{"idempotency_key": "torn", "to"')  # a crash mid-line

    sandbox.send(message(key="after"))

    assert sandbox.lookup(message(key="after"), known_ids=[]).status == "found"
    assert sandbox.lookup(message(key="torn"), known_ids=[]).status == "not_found"
    assert sandbox.path.read_bytes().endswith(b"\n")


# --------------------------------------------------------------------------- webhook


def test_webhook_accepted_posts_json_with_idempotency_key_and_bearer_token(hook, webhook):
    m = message()

    outcome = webhook.send(m)

    [stored] = hook.accepted
    assert outcome == SendOutcome("accepted", provider_message_id=stored["id"], http_status=201)
    [request] = hook.received
    assert request["idempotency_key"] == request["key"] == m.idempotency_key
    assert (request["to"], request["channel"], request["body"]) == (TO, "sms", BODY)
    assert request["authorization"] == "Bearer hook-secret-token"
    assert request["content_type"] == "application/json"


def test_webhook_accepted_without_an_id_uses_the_key(hook, webhook):
    hook.script(["ok_without_id"])
    m = message()

    assert webhook.send(m) == SendOutcome("accepted", provider_message_id=m.idempotency_key, http_status=202)


def test_webhook_429_is_retry_with_retry_after(hook, webhook):
    hook.retry_after = "3"
    hook.script(["429"])

    assert webhook.send(message()) == SendOutcome("retry", error="http 429", http_status=429, retry_after=3.0)
    assert hook.accepted == []


@pytest.mark.parametrize(("mode", "error", "stored"), [
    ("500", "http 500", False), ("503", "http 503", False), ("500_after_accept", "http 500", True),
    ("timeout", "read timeout", True), ("drop_after_accept", "connection dropped", True)])
def test_webhook_5xx_timeouts_and_drops_are_unknown_and_lookup_settles_them(hook, webhook, mode, error, stored):
    hook.script([mode])
    m = message()

    outcome = webhook.send(m)

    assert (outcome.status, outcome.error) == ("unknown", error)
    found = webhook.lookup(m, known_ids=[])
    if stored:
        assert found == LookupOutcome("found", hook.accepted[0]["id"], "accepted")
    else:
        assert found == LookupOutcome("not_found")
    assert len(hook.received) == 1


def test_webhook_4xx_is_rejected(hook, webhook):
    hook.script(["reject"])

    assert webhook.send(message()) == SendOutcome("rejected", error="http 422", http_status=422)


def test_webhook_wrong_token_is_rejected(hook):
    p = WebhookProvider(WebhookSettings(url=hook.messages_url, token="wrong", timeout=TIMEOUT))

    assert p.send(message()) == SendOutcome("rejected", error="http 401", http_status=401)


def test_webhook_resend_of_a_stored_key_is_deduplicated_by_the_receiver(hook, webhook):
    m = message()
    first, again = webhook.send(m), webhook.send(m)

    assert first.provider_message_id == again.provider_message_id and len(hook.accepted) == 1


def test_webhook_lookup_not_found_and_failing_lookups(hook, webhook):
    m = message()
    assert webhook.lookup(m, known_ids=[]) == LookupOutcome("not_found")
    hook.fail_lookups(["500", "drop", "timeout"])
    assert webhook.lookup(m, known_ids=[]) == LookupOutcome("unknown", error="http 500")
    assert webhook.lookup(m, known_ids=[]) == LookupOutcome("unknown", error="connection dropped")
    assert webhook.lookup(m, known_ids=[]) == LookupOutcome("unknown", error="read timeout")
    assert [r["key"] for r in hook.lookups] == [m.idempotency_key] * 4


def test_webhook_without_lookup_url_cannot_reconcile(hook):
    p = WebhookProvider(WebhookSettings(url=hook.messages_url, token="hook-secret-token", timeout=TIMEOUT))

    assert p.lookup(message(), known_ids=[]) == \
        LookupOutcome("unknown", error="webhook has no lookup_url: cannot reconcile")
    assert hook.lookups == []


def test_webhook_connection_refused_is_retry(hook, webhook):
    hook.stop()

    assert webhook.send(message()) == SendOutcome("retry", error="connect failed")


# --------------------------------------------------------------------------- configuration


def test_settings_from_the_twilio_connection():
    conn = SimpleNamespace(conn_id="optline_twilio", conn_type="generic", login="AC" + "a" * 32,
                           password="tok", host="http://127.0.0.1:8081/", port=None, schema=None,
                           extra_dejson={"from_number": "+17025550100", "whatsapp_from": "+17025550199",
                                         "timeout": 5})

    assert settings_from_connection(conn) == {
        "account_sid": "AC" + "a" * 32, "auth_token": "tok", "base_url": "http://127.0.0.1:8081",
        "from_number": "+17025550100", "whatsapp_from": "+17025550199", "timeout": 5}
    bare = SimpleNamespace(conn_id="optline_twilio", login="AC1", password="tok", host=None,
                           extra_dejson={"messaging_service_sid": "MG1"})
    assert settings_from_connection(bare) == {"account_sid": "AC1", "auth_token": "tok",
                                              "messaging_service_sid": "MG1"}


def test_settings_from_the_webhook_connection():
    conn = SimpleNamespace(conn_id="optline_webhook", conn_type="http", login=None, password="secret",
                           host="hooks.example.com", port=8443, schema="https",
                           extra_dejson={"lookup_url": "https://hooks.example.com/messages/{key}"})

    assert settings_from_connection(conn) == {"url": "https://hooks.example.com:8443", "token": "secret",
                                              "lookup_url": "https://hooks.example.com/messages/{key}"}
    full = SimpleNamespace(conn_id="optline_webhook", password=None, host="https://hooks.example.com/sms",
                           extra_dejson={})
    assert settings_from_connection(full) == {"url": "https://hooks.example.com/sms"}


def test_settings_from_connection_names_an_unknown_extra():
    conn = SimpleNamespace(conn_id="optline_twilio", login="AC1", password="t", host=None,
                           extra_dejson={"form_number": "+17025550100"})

    with pytest.raises(ConfigError, match=r"optline_twilio.*form_number.*from_number"):
        settings_from_connection(conn)


def test_build_provider_builds_each_provider(tmp_path):
    assert isinstance(build_provider("sandbox", {}, sandbox_dir=tmp_path), SandboxProvider)
    twilio = build_provider("Twilio", {"account_sid": "AC1", "auth_token": "t", "messaging_service_sid": "MG1",
                                       "timeout": "3", "from_number": ""}, sandbox_dir=tmp_path)
    assert isinstance(twilio, TwilioProvider) and twilio.settings.timeout == 3.0
    assert twilio.settings.from_number is None and twilio.settings.base_url == "https://api.twilio.com"
    webhook = build_provider("webhook", {"url": "https://hooks.example.com/sms", "token": "t"}, sandbox_dir=tmp_path)
    assert isinstance(webhook, WebhookProvider) and webhook.settings.lookup_url is None


@pytest.mark.parametrize(("name", "settings", "expected"), [
    ("carrier-pigeon", {}, r"unknown message provider 'carrier-pigeon'.*sandbox, twilio, webhook"),
    ("twilio", {"auth_token": "t", "from_number": FROM}, r"account_sid.*login.*optline_twilio"),
    ("twilio", {"account_sid": "AC1", "from_number": FROM}, r"auth_token.*password.*optline_twilio"),
    ("twilio", {"account_sid": "AC1", "auth_token": "t"}, r"from_number.*messaging_service_sid.*extra"),
    ("twilio", {"account_sid": "AC1", "auth_token": "t", "from_number": FROM, "timeout": "soon"}, r"timeout"),
    ("twilio", {"account_sid": "AC1", "auth_token": "t", "from_number": FROM, "base_url": "api.twilio.com"},
     r"base_url must be an http\(s\) URL"),
    ("twilio", {"account_sid": "AC1", "auth_token": "t", "form_number": FROM}, r"unknown setting.*form_number"),
    ("webhook", {"token": "t"}, r"url.*host.*optline_webhook"),
    ("webhook", {"url": "https://h.example/sms", "lookup_url": "https://h.example/m"}, r"lookup_url.*\{key\}"),
])
def test_build_provider_errors_name_the_setting_and_where_to_set_it(tmp_path, name, settings, expected):
    with pytest.raises(ConfigError, match=expected):
        build_provider(name, settings, sandbox_dir=tmp_path)


def test_parse_retry_after_reads_seconds_and_http_dates():
    base = dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Mon, 02 Nov 2026 12:00:30 GMT", now=base) == 30.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None


# --------------------------------------------------------------------------- nothing sensitive


def test_no_outcome_or_log_line_carries_the_token_the_number_or_the_body(twilio, hook, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    p = twilio_provider(twilio)
    w = WebhookProvider(WebhookSettings(url=hook.messages_url, token="hook-secret-token",
                                        lookup_url=hook.lookup_url, timeout=TIMEOUT))
    twilio.script(["ok", "invalid_number", "429", "500_after_accept", "drop_after_accept"])
    hook.script(["ok", "500"])
    outcomes: list[object] = []
    for _ in range(5):
        m = message()
        outcomes += [p.send(m), p.lookup(m, known_ids=[])]
    for _ in range(2):
        m = message()
        outcomes += [w.send(m), w.lookup(m, known_ids=[])]
    outcomes += [p.settings, w.settings]

    text = caplog.text + capsys.readouterr().out + capsys.readouterr().err + repr(outcomes)
    assert "twilio send" in caplog.text
    assert "Messages.json?… HTTP/1.1" in caplog.text  # urllib3's request line, query string cut
    for secret in (twilio.auth_token, "hook-secret-token", TO[2:], BODY):
        assert secret not in text
