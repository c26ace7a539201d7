"""Message providers behind one interface: a sandbox file, Twilio, and a generic webhook.

The once-only contract
----------------------
The dispatcher claims one send attempt in the outbox (``claimed_at``), calls ``send`` once,
and records what the outcome says about *that* attempt:

``accepted``  the provider took the message; ``provider_message_id`` is its id.
``retry``     the provider certainly did NOT take it: 429, a refused connection or a connect
              timeout (no byte of the request reached the server). Safe to send again later,
              after ``retry_after`` seconds when the provider said so.
``unknown``   it may or may not have been taken: read timeout, connection dropped after the
              request went out, 5xx. The caller must ``lookup`` before any resend.
``rejected``  permanent refusal (4xx other than 429, e.g. Twilio 21211 invalid number, 21610
              unsubscribed recipient). Never resend.

``lookup(message, known_ids)`` answers "did the provider take the attempt claimed at
``message.claimed_at``?": ``found`` (with the id), ``not_found`` (only when the provider's
listing was really read to the end of the window) or ``unknown`` (could not tell: ask again
later, do not resend). Ids in ``known_ids`` belong to other outbox rows and never match.

To keep that contract no provider retries on its own: one ``send`` is at most one HTTP
request (the HTTP adapters here are mounted with zero retries; see ``_no_retry_adapter``).

Nothing here logs, or puts in an outcome, a phone number, a message body or a credential;
outcomes carry short errors such as ``"http 429"``, ``"twilio 21211"`` or ``"read timeout"``.
This module does not import Airflow: ``settings_from_connection`` takes any object with
Airflow Connection's attributes.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import errno
import hashlib
import json
import logging
import os
import re
import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, urlsplit, urlunsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.util.retry import Retry

from optline.config import ConfigError

try:  # POSIX: the sandbox file is shared by processes (Airflow workers)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

PROVIDER_NAMES = ("sandbox", "twilio", "webhook")
TWILIO_API = "https://api.twilio.com"
LOOKUP_SKEW = dt.timedelta(minutes=2)
"""Clock skew allowed between our claim time and the provider's ``date_created``."""


# --------------------------------------------------------------------------- the interface


@dataclass(frozen=True)
class OutgoingMessage:
    idempotency_key: str       # unique per intended message
    to: str                    # E.164, e.g. +17025550115
    channel: str               # "sms" | "whatsapp"
    body: str
    claimed_at: dt.datetime    # aware UTC: when this send attempt was claimed in the outbox


@dataclass(frozen=True)
class SendOutcome:
    status: str                # "accepted" | "retry" | "unknown" | "rejected"
    provider_message_id: str | None = None
    error: str | None = None   # short, e.g. "http 429", "twilio 21211"; never the number or body
    http_status: int | None = None
    retry_after: float | None = None   # seconds, from Retry-After on 429/503 when given


@dataclass(frozen=True)
class LookupOutcome:
    status: str                # "found" | "not_found" | "unknown"
    provider_message_id: str | None = None
    provider_status: str | None = None   # e.g. queued/sent/delivered
    error: str | None = None


class Provider(Protocol):
    name: str

    def send(self, message: OutgoingMessage) -> SendOutcome: ...

    def lookup(self, message: OutgoingMessage, known_ids: Collection[str]) -> LookupOutcome: ...

    def close(self) -> None: ...


# --------------------------------------------------------------------------- shared HTTP rules


def _no_retry_adapter() -> HTTPAdapter:
    """An adapter that never resends: a hidden retry of a POST could deliver a message twice.

    (requests' default adapter is already ``Retry(0, read=False)``; TwilioHttpClient mounts its
    own on https://, with ``Retry.from_int(max_retries)`` when max_retries is given. Both are
    replaced by this one so the guarantee does not depend on either default.)
    """
    return HTTPAdapter(max_retries=Retry(total=0, connect=0, read=False, redirect=False, status=0, other=0))


def _transport_outcome(exc: BaseException) -> tuple[str, str]:
    """(status, error) for a requests exception: retry only when nothing can have been sent."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "retry", "connect timeout"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return "unknown", "read timeout"
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason: Any = exc.args[0] if exc.args else None
        if isinstance(reason, urllib3.exceptions.MaxRetryError):
            reason = reason.reason
        # NewConnectionError (refused, unreachable, DNS) and ConnectTimeoutError are raised
        # while opening the socket, before any byte of the request is written.
        if isinstance(reason, urllib3.exceptions.NewConnectionError):
            return "retry", "connect failed"
        if isinstance(reason, urllib3.exceptions.ConnectTimeoutError):
            return "retry", "connect timeout"
        return "unknown", "connection dropped"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "unknown", "connection dropped"
    return "unknown", type(exc).__name__


def _status_outcome(http_status: int) -> str:
    """How an HTTP error status reads under the contract."""
    if http_status == 429:
        return "retry"
    if 400 <= http_status < 500:
        return "rejected"
    # 5xx (503 included: a 503, even with Retry-After, does not prove the request was not
    # processed) and anything unexpected: the caller looks up before resending.
    return "unknown"


def parse_retry_after(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent/bad."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


def _utc(value: dt.datetime) -> dt.datetime:
    """Aware UTC; a naive claim time is read as UTC."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _is_loopback(url: str) -> bool:
    return (urlsplit(url).hostname or "") in ("127.0.0.1", "localhost", "::1")


class _RedactQueryStrings(logging.Filter):
    """urllib3 logs each request line at DEBUG, query string included; Twilio's message
    listing carries the recipient's number there (``?To=%2B1702...``). Cut query strings."""

    _QUERY = re.compile(r"\?[^\s\"]*")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self._QUERY.sub("?…", a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = self._QUERY.sub("?…", record.msg)
        return True


_redaction_lock = threading.Lock()


def _install_query_redaction() -> None:
    logger = logging.getLogger("urllib3.connectionpool")
    with _redaction_lock:
        if not any(isinstance(f, _RedactQueryStrings) for f in logger.filters):
            logger.addFilter(_RedactQueryStrings())


# --------------------------------------------------------------------------- sandbox


def sandbox_message_id(idempotency_key: str) -> str:
    return "SB" + hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:32]


class SandboxProvider:
    """The demo provider: sends nothing anywhere, appends one JSON line per accepted message
    to ``folder/messages.jsonl`` (flushed and fsync'd before ``send`` returns).

    It does not deduplicate: a second send of the same key writes a second line, so a
    dispatcher that sends twice is visible in the file.
    """

    name = "sandbox"
    FILE_NAME = "messages.jsonl"

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / self.FILE_NAME
        self._lock = threading.Lock()

    def send(self, message: OutgoingMessage) -> SendOutcome:
        message_id = sandbox_message_id(message.idempotency_key)
        record = {
            "idempotency_key": message.idempotency_key,
            "to": message.to,
            "channel": message.channel,
            "body": message.body,
            "id": message_id,
            "sent_at": dt.datetime.now(dt.UTC).isoformat(),
        }
        data = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            with self._lock:
                self._append(data)
        except OSError as exc:
            # Part of the line may be on disk (lookup skips a torn line): look up first.
            name = errno.errorcode.get(exc.errno or 0, type(exc).__name__)
            log.warning("sandbox send %s: write failed (%s)", message.idempotency_key, name)
            return SendOutcome("unknown", error=f"sandbox write failed: {name}")
        log.info("sandbox send %s: accepted %s", message.idempotency_key, message_id)
        return SendOutcome("accepted", provider_message_id=message_id)

    def _append(self, data: bytes) -> None:
        created = not self.path.exists()
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                data = b"\n" + data  # a crash tore the last line: keep the next one whole
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)  # releases the flock
        if created:
            dir_fd = os.open(self.folder, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

    def lookup(self, message: OutgoingMessage, known_ids: Collection[str]) -> LookupOutcome:
        try:
            with self.path.open("rb") as handle:
                lines = handle.read().splitlines()
        except FileNotFoundError:
            return LookupOutcome("not_found")
        except OSError as exc:
            return LookupOutcome("unknown", error=f"sandbox read failed: {type(exc).__name__}")
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a torn line from a crash mid-write
            if isinstance(record, dict) and record.get("idempotency_key") == message.idempotency_key \
                    and record.get("id") not in known_ids:
                return LookupOutcome("found", provider_message_id=record.get("id"), provider_status="recorded")
        return LookupOutcome("not_found")

    def close(self) -> None:
        pass


# --------------------------------------------------------------------------- Twilio


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
        super().__init__(pool_connections=True, timeout=timeout, logger=logging.getLogger(f"{__name__}.twilio_http"))
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
        log.info("twilio send %s: %s%s", message.idempotency_key, outcome.status,
                 f" ({outcome.error})" if outcome.error else "")
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
        log.info("twilio lookup %s: %s%s", message.idempotency_key, outcome.status,
                 f" ({outcome.error})" if outcome.error else "")
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


# --------------------------------------------------------------------------- webhook


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
        log.info("webhook send %s: %s%s", message.idempotency_key, outcome.status,
                 f" ({outcome.error})" if outcome.error else "")
        return outcome

    def _send(self, message: OutgoingMessage) -> SendOutcome:
        payload = {"idempotency_key": message.idempotency_key, "to": message.to,
                   "channel": message.channel, "body": message.body}
        try:
            response = self._session.post(self.settings.url, json=payload, headers=self._headers(message.idempotency_key),
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


# --------------------------------------------------------------------------- configuration

_CONNECTION_IDS = {"twilio": "optline_twilio", "webhook": "optline_webhook"}
_TWILIO_SETTINGS = ("account_sid", "auth_token", "from_number", "messaging_service_sid", "whatsapp_from",
                    "base_url", "timeout", "lookup_page_size", "lookup_max_pages")
_WEBHOOK_SETTINGS = ("url", "token", "lookup_url", "timeout")
_SANDBOX_SETTINGS = ("folder",)
_TWILIO_EXTRAS = ("from_number", "messaging_service_sid", "whatsapp_from", "timeout",
                  "lookup_page_size", "lookup_max_pages")
_WEBHOOK_EXTRAS = ("lookup_url", "timeout")


def _present(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Settings with None and blank strings dropped."""
    return {k: v.strip() if isinstance(v, str) else v for k, v in settings.items()
            if v is not None and not (isinstance(v, str) and not v.strip())}


def _check_known(provider: str, settings: Mapping[str, Any], known: tuple[str, ...]) -> None:
    unknown = sorted(set(settings) - set(known))
    if unknown:
        raise ConfigError(f"{provider} provider: unknown setting(s) {unknown}; known: {list(known)}")


def _seconds(provider: str, value: Any) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if isinstance(value, bool) or not seconds > 0:
        raise ConfigError(f"{provider} provider: timeout must be a number of seconds above 0, not {value!r}")
    return seconds


def _whole(provider: str, key: str, value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if isinstance(value, bool) or number < 1 or str(number) != str(value).strip():
        raise ConfigError(f"{provider} provider: {key} must be a whole number above 0, not {value!r}")
    return number


def _http_url(provider: str, key: str, value: str, how: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{provider} provider: {key} must be an http(s) URL, not {value!r} ({how})")
    return value


def connection_id(name: str) -> str | None:
    """The Airflow connection that holds a provider's credentials (None for the sandbox)."""
    return _CONNECTION_IDS.get(name)


def build_from_connection(name: str, connection: Any | None, *, sandbox_dir: Path) -> Provider:
    """The provider `name` configured from its Airflow connection (none needed for the sandbox)."""
    if name == "sandbox":
        return build_provider(name, {}, sandbox_dir=sandbox_dir)
    if name not in _CONNECTION_IDS:
        raise ConfigError(f"provider must be one of sandbox, {', '.join(_CONNECTION_IDS)}, not {name!r}")
    if connection is None:
        raise ConfigError(f"provider {name!r} needs the Airflow connection {_CONNECTION_IDS[name]!r}; "
                          "see docs/messaging.md")
    return build_provider(name, settings_from_connection(connection), sandbox_dir=sandbox_dir)


def build_provider(name: str, settings: Mapping[str, Any], *, sandbox_dir: Path) -> Provider:
    """The provider called ``name`` (sandbox | twilio | webhook) with ``settings``.

    Raises ConfigError naming the missing or wrong setting and where to set it.
    """
    kind = (name or "").strip().lower()
    given = _present(settings or {})
    if kind == "sandbox":
        _check_known("sandbox", given, _SANDBOX_SETTINGS)
        return SandboxProvider(Path(given.get("folder") or sandbox_dir))
    if kind == "twilio":
        _check_known("twilio", given, _TWILIO_SETTINGS)
        conn = _CONNECTION_IDS["twilio"]
        if "account_sid" not in given:
            raise ConfigError(f"twilio provider needs account_sid: set the login of the Airflow connection "
                              f"{conn!r} to your Twilio Account SID (AC...)")
        if "auth_token" not in given:
            raise ConfigError(f"twilio provider needs auth_token: set the password of the Airflow connection "
                              f"{conn!r} to your Twilio Auth Token")
        if "from_number" not in given and "messaging_service_sid" not in given:
            raise ConfigError(f"twilio provider needs a sender: set from_number (E.164, e.g. +17025550100) or "
                              f"messaging_service_sid (MG...) in the extra of the Airflow connection {conn!r}")
        values: dict[str, Any] = {k: given[k] for k in ("account_sid", "auth_token", "from_number",
                                                         "messaging_service_sid", "whatsapp_from") if k in given}
        values = {k: str(v) for k, v in values.items()}
        if "base_url" in given:
            values["base_url"] = _http_url("twilio", "base_url", str(given["base_url"]).rstrip("/"),
                                           f"the host of the Airflow connection {conn!r}")
        if "timeout" in given:
            values["timeout"] = _seconds("twilio", given["timeout"])
        for key in ("lookup_page_size", "lookup_max_pages"):
            if key in given:
                values[key] = _whole("twilio", key, given[key])
        return TwilioProvider(TwilioSettings(**values))
    if kind == "webhook":
        _check_known("webhook", given, _WEBHOOK_SETTINGS)
        conn = _CONNECTION_IDS["webhook"]
        if "url" not in given:
            raise ConfigError(f"webhook provider needs url: set the host of the Airflow connection {conn!r} "
                              f"to the endpoint URL (https://...)")
        url = _http_url("webhook", "url", str(given["url"]), f"the host of the Airflow connection {conn!r}")
        lookup_url = given.get("lookup_url")
        if lookup_url is not None:
            lookup_url = str(lookup_url)
            if "{key}" not in lookup_url:
                raise ConfigError(f"webhook provider: lookup_url must contain {{key}} where the idempotency key "
                                  f"goes, not {lookup_url!r} (extra of the Airflow connection {conn!r})")
            _http_url("webhook", "lookup_url", lookup_url.replace("{key}", "k"),
                      f"extra of the Airflow connection {conn!r}")
        return WebhookProvider(WebhookSettings(
            url=url, token=str(given["token"]) if "token" in given else None, lookup_url=lookup_url,
            timeout=_seconds("webhook", given["timeout"]) if "timeout" in given else 10.0))
    raise ConfigError(f"unknown message provider {name!r}: choose one of {', '.join(PROVIDER_NAMES)} "
                      f"(messaging config `provider` or OPTLINE_MESSAGE_PROVIDER)")


def _connection_url(conn: Any) -> str | None:
    """The URL in a connection's host, as Airflow's HttpHook reads it: a full URL in host is used
    as is; a bare host gets the scheme from ``schema`` (http/https, default https) and the port."""
    host = (getattr(conn, "host", None) or "").strip()
    if not host:
        return None
    port = getattr(conn, "port", None)
    if "://" in host:
        parts = urlsplit(host)
        netloc = f"{parts.netloc}:{port}" if port and parts.port is None else parts.netloc
        path = parts.path if parts.path.strip("/") else ""
        return urlunsplit((parts.scheme, netloc, path, parts.query, ""))
    schema = (getattr(conn, "schema", None) or "").strip()
    scheme = schema.lower() if schema.lower() in ("http", "https") else "https"
    url = f"{scheme}://{host}" + (f":{port}" if port else "")
    if schema and schema.lower() not in ("http", "https"):
        url += "/" + schema.lstrip("/")
    return url


def _connection_kind(conn: Any) -> str:
    conn_id = (getattr(conn, "conn_id", None) or "").lower()
    conn_type = (getattr(conn, "conn_type", None) or "").lower()
    for kind in ("twilio", "webhook"):
        if kind in conn_id or conn_type == kind:
            return kind
    if conn_type in ("http", "https"):
        return "webhook"
    raise ConfigError(f"cannot tell which provider the connection {conn_id or '?'!r} is for: name it "
                      f"{_CONNECTION_IDS['twilio']!r} or {_CONNECTION_IDS['webhook']!r}, or pass provider=")


def settings_from_connection(conn: Any, provider: str | None = None) -> dict[str, Any]:
    """Provider settings from an Airflow Connection (or anything with its attributes).

    ``optline_twilio``: login = Account SID, password = Auth Token, host = base URL (optional),
    extra = {from_number, messaging_service_sid, whatsapp_from, timeout}.
    ``optline_webhook``: host = endpoint URL, password = bearer token, extra = {lookup_url, timeout}.
    The kind comes from ``provider``, else the conn_id, else the conn_type.
    """
    kind = (provider or _connection_kind(conn)).strip().lower()
    extra = getattr(conn, "extra_dejson", None) or {}
    if not isinstance(extra, Mapping):
        raise ConfigError(f"the extra of connection {getattr(conn, 'conn_id', '?')!r} must be a JSON object")
    conn_id = getattr(conn, "conn_id", None) or _CONNECTION_IDS.get(kind, "?")
    if kind == "twilio":
        known, settings = _TWILIO_EXTRAS, {"account_sid": getattr(conn, "login", None),
                                           "auth_token": getattr(conn, "password", None),
                                           "base_url": _connection_url(conn)}
    elif kind == "webhook":
        known, settings = _WEBHOOK_EXTRAS, {"url": _connection_url(conn), "token": getattr(conn, "password", None)}
    else:
        raise ConfigError(f"connections configure the twilio or webhook provider, not {kind!r}")
    unknown = sorted(set(extra) - set(known))
    if unknown:
        raise ConfigError(f"connection {conn_id!r}: unknown extra key(s) {unknown}; known: {list(known)}")
    settings.update({k: extra[k] for k in known if k in extra})
    return _present(settings)
