"""Fixtures of the provider tests: the Twilio and webhook stand-ins on 127.0.0.1 and providers for them."""

from __future__ import annotations

import pytest

from optline.messaging.providers import WebhookProvider, WebhookSettings
from tests.optline.messaging.providers.provider_setup import SLOW, TIMEOUT, twilio_provider
from tests.standins.twilio_server import TwilioStandIn
from tests.standins.webhook_server import WebhookStandIn


@pytest.fixture
def twilio():
    with TwilioStandIn(delay=SLOW) as server:
        yield server


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
