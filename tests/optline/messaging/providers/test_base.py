"""The rules every provider shares: Retry-After parsing, and that nothing sensitive reaches an
outcome or a log line of any provider."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from optline.messaging.providers import WebhookProvider, WebhookSettings, parse_retry_after
from tests.optline.messaging.providers.provider_setup import BODY, TIMEOUT, TO, message, twilio_provider

pytestmark = pytest.mark.timeout(30)


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
