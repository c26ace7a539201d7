"""Provider configuration: settings from Airflow connections, and build_provider's checks and errors."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from optline.config import ConfigError
from optline.messaging.providers import (
    SandboxProvider,
    TwilioProvider,
    WebhookProvider,
    build_provider,
    settings_from_connection,
)
from tests.optline.messaging.providers.provider_setup import FROM

pytestmark = pytest.mark.timeout(30)


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
