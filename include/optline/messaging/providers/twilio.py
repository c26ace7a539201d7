"""The Twilio provider: Twilio's Messages API through the official SDK, over an HTTP client
that never retries, routes every Twilio URL to ``base_url`` and logs no query string."""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from optline.config import ConfigError
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

TWILIO_API = "https://api.twilio.com"
LOOKUP_SKEW = dt.timedelta(minutes=2)
"""Clock skew allowed between our claim time and the provider's ``date_created``."""


def _utc(value: dt.datetime) -> dt.datetime:
    """Aware UTC; a naive claim time is read as UTC."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


@dataclass(frozen=True)
class TwilioSettings:
    account_sid: str
    auth_token: str = field(repr=False)
    from_number: str | None = None
    messaging_service_sid: str | None = None
    whatsapp_from: str | None = None
    base_url: str = TWILIO_API
    timeout: float = 10.0
    lookup_page_size: int = 50
    lookup_max_pages: int = 20


# The SDK reads TWILIO_ACCOUNT_SID/AUTH_TOKEN/EDGE/REGION from `environment or os.environ`
# (twilio/base/client_base.py:42-50): an empty dict is falsy and would still read os.environ,
# so pass a non-empty mapping that holds none of those names.
_NO_TWILIO_ENVIRONMENT = {"OPTLINE": "twilio settings come from optline, not the environment"}
# api.twilio.com, and api.{edge}.{region}.twilio.com / api.{region}.twilio.com as
# ClientBase.get_hostname builds them when an edge or region is set.
_TWILIO_API_HOST = re.compile(r"api(\.[a-z0-9-]+){0,2}\.twilio\.com")


class TwilioRoutingError(RuntimeError):
    """The SDK built a URL outside Twilio's REST API host; nothing was sent."""


class OptlineTwilioHttpClient(TwilioHttpClient):
    """The SDK's HTTP client, made safe for once-only sending:

    * every ``https://api[.edge][.region].twilio.com`` URL is sent to ``base_url`` instead
      (the stand-in in tests), next-page URLs included;
    * zero retries on http:// and https:// (a silent retry of a POST could send twice);
    * the last response of this thread is kept: on an HTTP error the SDK raises
      ``TwilioRestException``, which carries no headers, so Retry-After is read from here;
    * request logs carry no query string (the SDK's ``log_request`` logs ``To=`` at INFO).
    """

    def __init__(self, base_url: str = TWILIO_API, timeout: float = 10.0) -> None:
        super().__init__(pool_connections=True, timeout=timeout, logger=logging.getLogger(f"{__name__}.http"))
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"twilio base_url must be an http(s) URL, not {base_url!r}")
        self._target = (parts.scheme, parts.netloc, parts.path.rstrip("/"))
        assert self.session is not None
        for prefix in ("https://", "http://"):
            self.session.mount(prefix, _no_retry_adapter())
        if _is_loopback(base_url):
            self.session.trust_env = False  # no proxy between us and a local stand-in
        self._local = threading.local()

    def route(self, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme != "https" or not _TWILIO_API_HOST.fullmatch(parts.hostname or ""):
            raise TwilioRoutingError(f"unexpected Twilio URL host {parts.hostname!r}")
        scheme, netloc, prefix = self._target
        return urlunsplit((scheme, netloc, prefix + parts.path, parts.query, ""))

    @property
    def last_response(self) -> Any:
        """This thread's last response (``twilio.http.response.Response``) or None."""
        return getattr(self._local, "response", None)

    def request(self, method: str, url: str, params: Any = None, data: Any = None, headers: Any = None,
                auth: Any = None, timeout: float | None = None, allow_redirects: bool = False) -> Any:
        self._local.response = None
        routed = self.route(url)
        response = super().request(method, routed, params=params, data=data, headers=headers, auth=auth,
                                   timeout=timeout, allow_redirects=False)
        self._local.response = response
        return response

    def log_request(self, kwargs: dict[str, Any]) -> None:
        self.logger.debug("twilio request %s %s", kwargs.get("method"), urlsplit(str(kwargs.get("url"))).path)

    def log_response(self, status_code: int, response: Any) -> None:
        self.logger.debug("twilio response %s", status_code)

    def close(self) -> None:
        if self.session is not None:
            self.session.close()


class _NotConfigured(Exception):
    pass


def _whatsapp(address: str) -> str:
    return address if address.startswith("whatsapp:") else "whatsapp:" + address


class TwilioProvider:
    """Twilio's Messages API through the official SDK (``client.messages.create``).

    SMS goes from the messaging service when ``messaging_service_sid`` is set (pinned to
    ``from_number`` when that is set too), else from ``from_number``. WhatsApp goes from
    ``whatsapp:<whatsapp_from>``, else from the messaging service, to ``whatsapp:<to>``.

    ``lookup`` lists the recipient's messages newest first (``messages.stream``, page by page),
    matches the same body created at or after ``claimed_at - 2 min`` whose sid is not in
    ``known_ids``, and stops at the first message both created and sent before that window
    (Twilio documents the listing as ordered by date sent, the stand-in orders by date
    created: this rule is safe for both; a still-unsent old message does not stop it). It says
    ``not_found`` only when the listing got there; an HTTP error on the way, or more than
    ``lookup_max_pages`` pages, is ``unknown``.
    """

    name = "twilio"

    def __init__(self, settings: TwilioSettings) -> None:
        self.settings = settings
        self._http = OptlineTwilioHttpClient(settings.base_url, settings.timeout)
        self._client = Client(username=settings.account_sid, password=settings.auth_token,
                              account_sid=settings.account_sid, http_client=self._http,
                              environment=_NO_TWILIO_ENVIRONMENT)
        _install_query_redaction()

    # -- addressing

    def _to(self, message: OutgoingMessage) -> str:
        return _whatsapp(message.to) if message.channel == "whatsapp" else message.to

    def _sender(self, channel: str) -> dict[str, str]:
        s = self.settings
        if channel == "whatsapp":
            if s.whatsapp_from:
                return {"from_": _whatsapp(s.whatsapp_from)}
            if s.messaging_service_sid:
                return {"messaging_service_sid": s.messaging_service_sid}
            raise _NotConfigured("whatsapp_from not configured")
        if channel == "sms":
            sender: dict[str, str] = {}
            if s.messaging_service_sid:
                sender["messaging_service_sid"] = s.messaging_service_sid
            if s.from_number:
                sender["from_"] = s.from_number
            if not sender:
                raise _NotConfigured("no sender configured")
            return sender
        raise _NotConfigured("unsupported channel")

    def _status_and_retry_after(self) -> tuple[int | None, float | None]:
        response = self._http.last_response
        if response is None:
            return None, None
        headers = response.headers or {}
        return response.status_code, parse_retry_after(headers.get("Retry-After"))

    # -- send

    def send(self, message: OutgoingMessage) -> SendOutcome:
        outcome = self._send(message)
        _log_outcome(log, "twilio send", message.idempotency_key, outcome)
        return outcome

    def _send(self, message: OutgoingMessage) -> SendOutcome:
        try:
            sender = self._sender(message.channel)
        except _NotConfigured as exc:
            return SendOutcome("rejected", error=str(exc))
        try:
            created = self._client.messages.create(to=self._to(message), body=message.body, **sender)
        except TwilioRoutingError:
            raise  # a programming error: nothing was sent
        except requests.exceptions.RequestException as exc:
            status, error = _transport_outcome(exc)
            return SendOutcome(status, error=error)
        except TwilioException as exc:  # TwilioRestException, or TwilioServiceException (RFC 9457)
            http_status, retry_after = self._status_and_retry_after()
            http_status = getattr(exc, "status", None) or http_status
            if not isinstance(http_status, int):
                return SendOutcome("unknown", error=type(exc).__name__, retry_after=retry_after)
            status = _status_outcome(http_status)
            code = getattr(exc, "code", None)
            error = f"twilio {code}" if status == "rejected" and code and code != http_status else f"http {http_status}"
            return SendOutcome(status, error=error, http_status=http_status, retry_after=retry_after)
        except ValueError:  # a 2xx whose body is not JSON: it may well have been taken
            http_status, _ = self._status_and_retry_after()
            return SendOutcome("unknown", error="unreadable response", http_status=http_status)
        http_status, _ = self._status_and_retry_after()
        if not created.sid:
            return SendOutcome("unknown", error="response without sid", http_status=http_status)
        return SendOutcome("accepted", provider_message_id=created.sid, http_status=http_status)

    # -- lookup

    def lookup(self, message: OutgoingMessage, known_ids: Collection[str]) -> LookupOutcome:
        outcome = self._lookup(message, frozenset(known_ids))
        _log_outcome(log, "twilio lookup", message.idempotency_key, outcome)
        return outcome

    def _lookup(self, message: OutgoingMessage, known_ids: frozenset[str]) -> LookupOutcome:
        try:
            sender = self._sender(message.channel)
        except _NotConfigured as exc:
            return LookupOutcome("unknown", error=str(exc))
        since = _utc(message.claimed_at) - LOOKUP_SKEW
        to = self._to(message)
        filters: dict[str, Any] = {"to": to}
        if "from_" in sender:
            filters["from_"] = sender["from_"]
        page_size = max(1, min(1000, self.settings.lookup_page_size))
        max_records = page_size * max(1, self.settings.lookup_max_pages)
        seen = 0
        try:
            for record in self._client.messages.stream(page_size=page_size, **filters):
                seen += 1
                created = record.date_created
                if created is not None and created >= since:
                    if (record.body == message.body and record.to == to and record.sid not in known_ids
                            and ("messaging_service_sid" not in sender
                                 or record.messaging_service_sid == sender["messaging_service_sid"])
                            and (record.direction or "outbound-api").startswith("outbound")):
                        return LookupOutcome("found", provider_message_id=record.sid,
                                             provider_status=record.status)
                elif created is not None and record.date_sent is not None and record.date_sent < since:
                    # Older than the window, by creation and by sending: whichever of the two
                    # the listing is ordered by, nothing after this record is in the window.
                    return LookupOutcome("not_found")
                if seen >= max_records:
                    return LookupOutcome("unknown", error=f"window not reached after {seen} messages")
        except TwilioRoutingError:
            raise
        except requests.exceptions.RequestException as exc:
            return LookupOutcome("unknown", error=_transport_outcome(exc)[1])
        except (TwilioException, ValueError) as exc:
            # A failing page raises TwilioException("Unable to fetch page", response), not
            # TwilioRestException (twilio/base/page.py:61-62): take the status from the response.
            http_status, _ = self._status_and_retry_after()
            return LookupOutcome("unknown", error=f"http {http_status}" if http_status else type(exc).__name__)
        return LookupOutcome("not_found")

    def close(self) -> None:
        self._http.close()
