"""The provider interface, its message and outcome types, and the HTTP rules all providers share.

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
request (the HTTP adapters are mounted with zero retries; see ``_no_retry_adapter``).

Nothing in this package logs, or puts in an outcome, a phone number, a message body or a
credential; outcomes carry short errors such as ``"http 429"``, ``"twilio 21211"`` or
``"read timeout"``.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import re
import threading
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

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


def _log_outcome(logger: logging.Logger, action: str, key: str, outcome: SendOutcome | LookupOutcome) -> None:
    """One INFO line per send or lookup: the idempotency key, the status and the short error only."""
    logger.info("%s %s: %s%s", action, key, outcome.status, f" ({outcome.error})" if outcome.error else "")


# --------------------------------------------------------------------------- shared HTTP rules


def _no_retry_adapter() -> HTTPAdapter:
    """An adapter that never resends: a hidden retry of a POST could deliver a message twice.

    (requests' default adapter is already ``Retry(0, read=False)``; TwilioHttpClient mounts its
    own on https://, with ``Retry.from_int(max_retries)`` when max_retries is given. Both are
    replaced by this one so the guarantee does not depend on either default.)
    """
    # pool_maxsize: keep-alive connections per host, one per call the dispatcher has in flight
    # (settings.MAX_CONCURRENCY; urllib3's default, 10, would drop and reopen the others)
    return HTTPAdapter(max_retries=Retry(total=0, connect=0, read=False, redirect=False, status=0, other=0),
                       pool_maxsize=64)


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
