"""The generic webhook provider: one JSON POST per message, reconciled by a GET per key."""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from urllib.parse import quote

import requests

from optline.messaging.providers.base import (
    LookupOutcome,
    OutgoingMessage,
    SendOutcome,
    _install_query_redaction,
    _is_loopback,
    _log_outcome,
    _no_retry_adapter,
    _status_outcome,
    _transport_outcome,
    parse_retry_after,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookSettings:
    url: str
    token: str | None = field(default=None, repr=False)
    lookup_url: str | None = None    # a template with {key}, e.g. https://hooks.example/messages/{key}
    timeout: float = 10.0


class WebhookProvider:
    """POSTs ``{idempotency_key, to, channel, body}`` as JSON to ``settings.url`` with an
    ``Idempotency-Key`` header (and ``Authorization: Bearer <token>`` when a token is set).

    2xx accepted (id from the JSON ``id``, else the key), 429 retry, 5xx/timeouts/drops
    unknown, other 4xx rejected. ``lookup`` GETs ``lookup_url`` with the key: 200 found,
    404 not_found, anything else unknown; without a lookup_url it cannot reconcile.
    """

    name = "webhook"

    def __init__(self, settings: WebhookSettings) -> None:
        self.settings = settings
        self._session = requests.Session()
        for prefix in ("https://", "http://"):
            self._session.mount(prefix, _no_retry_adapter())
        if _is_loopback(settings.url):
            self._session.trust_env = False
        _install_query_redaction()

    def _headers(self, key: str) -> dict[str, str]:
        headers = {"Idempotency-Key": key, "Accept": "application/json"}
        if self.settings.token:
            headers["Authorization"] = f"Bearer {self.settings.token}"
        return headers

    def send(self, message: OutgoingMessage) -> SendOutcome:
        outcome = self._send(message)
        _log_outcome(log, "webhook send", message.idempotency_key, outcome)
        return outcome

    def _send(self, message: OutgoingMessage) -> SendOutcome:
        payload = {"idempotency_key": message.idempotency_key, "to": message.to,
                   "channel": message.channel, "body": message.body}
        try:
            response = self._session.post(self.settings.url, json=payload,
                                          headers=self._headers(message.idempotency_key),
                                          timeout=self.settings.timeout, allow_redirects=False)
        except requests.exceptions.RequestException as exc:
            status, error = _transport_outcome(exc)
            return SendOutcome(status, error=error)
        code = response.status_code
        if 200 <= code < 300:
            return SendOutcome("accepted", provider_message_id=_json_id(response) or message.idempotency_key,
                               http_status=code)
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return SendOutcome(_status_outcome(code), error=f"http {code}", http_status=code, retry_after=retry_after)

    def lookup(self, message: OutgoingMessage, known_ids: Collection[str]) -> LookupOutcome:
        template = self.settings.lookup_url
        if not template:
            return LookupOutcome("unknown", error="webhook has no lookup_url: cannot reconcile")
        url = template.replace("{key}", quote(message.idempotency_key, safe=""))
        try:
            response = self._session.get(url, headers=self._headers(message.idempotency_key),
                                         timeout=self.settings.timeout, allow_redirects=False)
        except requests.exceptions.RequestException as exc:
            return LookupOutcome("unknown", error=_transport_outcome(exc)[1])
        if response.status_code == 404:
            return LookupOutcome("not_found")
        if response.status_code != 200:
            return LookupOutcome("unknown", error=f"http {response.status_code}")
        message_id = _json_id(response) or message.idempotency_key
        if message_id in known_ids:
            return LookupOutcome("unknown", error="lookup answered an id recorded for another message")
        status = _json_field(response, "status")
        return LookupOutcome("found", provider_message_id=message_id, provider_status=status)

    def close(self) -> None:
        self._session.close()


def _json_field(response: requests.Response, name: str) -> str | None:
    try:
        data = response.json()
    except ValueError:
        return None
    value = data.get(name) if isinstance(data, dict) else None
    return str(value) if value not in (None, "") else None


def _json_id(response: requests.Response) -> str | None:
    return _json_field(response, "id")
