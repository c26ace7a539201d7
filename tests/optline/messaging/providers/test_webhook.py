"""The webhook provider against a real HTTP stand-in on 127.0.0.1: its send outcomes, and lookup by key."""

from __future__ import annotations

import pytest

from optline.messaging.providers import LookupOutcome, SendOutcome, WebhookProvider, WebhookSettings
from tests.optline.messaging.providers.provider_setup import BODY, TIMEOUT, TO, message

pytestmark = pytest.mark.timeout(30)


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
