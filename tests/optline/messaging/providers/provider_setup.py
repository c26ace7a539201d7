"""Shared set-up for the provider tests: the recipient, sender and body, messages, a Twilio provider."""

from __future__ import annotations

import datetime as dt

from optline.messaging.providers import OutgoingMessage, TwilioProvider, TwilioSettings
from tests.standins.twilio_server import TwilioStandIn

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


def twilio_provider(server: TwilioStandIn, **overrides) -> TwilioProvider:
    settings = {"account_sid": server.account_sid, "auth_token": server.auth_token, "from_number": FROM,
                "base_url": server.url, "timeout": TIMEOUT, **overrides}
    return TwilioProvider(TwilioSettings(**{k: v for k, v in settings.items() if v is not None}))
