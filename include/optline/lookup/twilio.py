"""Twilio Lookup v2 through the twilio SDK: `GET /v2/PhoneNumbers/{number}` with
`Fields=line_type_intelligence`, or `Fields=reassigned_number&LastVerifiedDate=YYYYMMDD`.

The HTTP client is the message provider's (`OptlineTwilioHttpClient`: no retries, the last
response kept for its status), taught Lookup's host (lookups.twilio.com) and to keep the
number out of its logs: the number is in the URL's path here, not its query string. With a
`base_url` (the Airflow connection's host: a stand-in, a proxy) every Twilio URL goes there;
without one, to Twilio.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioException
from twilio.rest import Client

from optline.lookup.base import Answer, Request, now_utc, unavailable
from optline.messaging.providers.base import _transport_outcome, parse_retry_after
from optline.messaging.providers.twilio import (
    _NO_TWILIO_ENVIRONMENT,
    TWILIO_API,
    OptlineTwilioHttpClient,
    TwilioRoutingError,
)

log = logging.getLogger(__name__)

# lookups.twilio.com and its edge/region forms, as well as api.twilio.com's.
_TWILIO_HOST = re.compile(r"(api|lookups)(\.[a-z0-9-]+){0,2}\.twilio\.com")
_NUMBER_IN_PATH = re.compile(r"/PhoneNumbers/[^?\s\"']+")
_REASSIGNED = {"yes": "yes", "no": "no", "no_data_available": "no_data", "no_data": "no_data"}


@dataclass(frozen=True)
class TwilioLookupSettings:
    account_sid: str
    auth_token: str = field(repr=False)
    base_url: str | None = None  # None: Twilio itself
    timeout: float = 10.0


class _RedactNumbers(logging.Filter):
    """urllib3 logs each request line at DEBUG: cut the number out of Lookup's path."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_NUMBER_IN_PATH.sub("/PhoneNumbers/…", a) if isinstance(a, str) else a
                                for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = _NUMBER_IN_PATH.sub("/PhoneNumbers/…", record.msg)
        return True


_filter_lock = threading.Lock()


def _install_number_redaction() -> None:
    logger = logging.getLogger("urllib3.connectionpool")
    with _filter_lock:
        if not any(isinstance(f, _RedactNumbers) for f in logger.filters):
            logger.addFilter(_RedactNumbers())


class LookupHttpClient(OptlineTwilioHttpClient):
    """The message provider's client for Lookup: its host allowed, numbers out of the logs,
    and, without a base_url, Twilio's own URL kept."""

    def __init__(self, base_url: str | None, timeout: float) -> None:
        super().__init__(base_url or TWILIO_API, timeout)
        self._routed = base_url is not None

    def route(self, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme != "https" or not _TWILIO_HOST.fullmatch(parts.hostname or ""):
            raise TwilioRoutingError(f"unexpected Twilio URL host {parts.hostname!r}")
        if not self._routed:
            return url
        scheme, netloc, prefix = self._target
        return urlunsplit((scheme, netloc, prefix + parts.path, parts.query, ""))

    def log_request(self, kwargs: dict[str, Any]) -> None:
        path = urlsplit(str(kwargs.get("url"))).path
        self.logger.debug("twilio lookup request %s %s", kwargs.get("method"), _NUMBER_IN_PATH.sub(
            "/PhoneNumbers/…", path))


class TwilioLookupProvider:
    """`answer(request)`: one Lookup v2 request. An HTTP error or a failed connection is an
    Answer with `unavailable` ("http 503", "connect failed"), never the exception's text (it
    names the URL, and so the number)."""

    name = "twilio"

    def __init__(self, settings: TwilioLookupSettings) -> None:
        self.settings = settings
        self._http = LookupHttpClient(settings.base_url, settings.timeout)
        self._client = Client(username=settings.account_sid, password=settings.auth_token,
                              account_sid=settings.account_sid, http_client=self._http,
                              environment=_NO_TWILIO_ENVIRONMENT)
        _install_number_redaction()

    def _failed(self) -> Answer:
        response = self._http.last_response
        if response is None:
            return unavailable(self.name, "no response")
        retry_after = parse_retry_after((response.headers or {}).get("Retry-After"))
        return unavailable(self.name, f"http {response.status_code}",
                           retry_after if response.status_code == 429 else None)

    def answer(self, request: Request) -> Answer:
        params: dict[str, Any] = {"fields": "line_type_intelligence"}
        if request.kind == "reassigned":
            if request.since is None:
                raise ValueError("a reassigned-number request needs the consent date (since)")
            params = {"fields": "reassigned_number", "last_verified_date": request.since.strftime("%Y%m%d")}
        try:
            found = self._client.lookups.v2.phone_numbers(request.e164).fetch(**params)
        except TwilioRoutingError:
            raise
        except requests.exceptions.RequestException as exc:
            return unavailable(self.name, _transport_outcome(exc)[1])
        except (TwilioException, ValueError):
            return self._failed()
        checked_at = now_utc()
        if request.kind == "reassigned":
            data = found.reassigned_number if isinstance(found.reassigned_number, dict) else {}
            said = _REASSIGNED.get(str(data.get("is_number_reassigned") or "").lower())
            if said is None:
                code = data.get("error_code")
                return unavailable(self.name, f"twilio {code}" if code else "no reassigned_number in the answer")
            return Answer(self.name, checked_at, reassigned=said, verified_date=request.since,
                          error_code=_text(data.get("error_code")))
        data = found.line_type_intelligence if isinstance(found.line_type_intelligence, dict) else {}
        if found.valid is False:
            return Answer(self.name, checked_at, error_code="invalid")
        return Answer(self.name, checked_at, line_type=_text(data.get("type")),
                      carrier_name=_text(data.get("carrier_name")), error_code=_text(data.get("error_code")))

    def close(self) -> None:
        self._http.close()


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
