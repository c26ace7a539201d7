"""The lookup interface: requests, answers, and `ask`, which runs a provider over many requests.

A provider answers one request at a time (`LookupProvider.answer`); `ask` paces the requests
(requests per second from the policy), waits out a 429's Retry-After once, and after
`outage_after` unanswered requests in a row takes the provider for down: every request left
gets the answer "unavailable" with the reason, without being sent.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Protocol

log = logging.getLogger(__name__)

KINDS = ("line_type", "reassigned")
REASSIGNED_ANSWERS = ("yes", "no", "no_data")
MAX_RETRY_AFTER = 5.0  # seconds a 429 may make us wait before its one retry


@dataclass(frozen=True)
class Request:
    """A question about one number. `since`: for `reassigned`, the consent date asked about
    (Twilio's LastVerifiedDate, the FCC's "date of consent")."""
    e164: str
    number_hmac: str
    kind: str
    since: dt.date | None = None


@dataclass(frozen=True)
class Answer:
    """What a provider said, or `unavailable` (why not) when it said nothing.

    line_type: Twilio's line_type_intelligence.type (mobile, landline, fixedVoip, ...), None
    when the provider knows no type (its `error_code` may say why). reassigned: yes | no |
    no_data, for the date `verified_date`."""
    provider: str
    checked_at: dt.datetime
    line_type: str | None = None
    carrier_name: str | None = None
    reassigned: str | None = None
    verified_date: dt.date | None = None
    error_code: str | None = None
    unavailable: str | None = None
    retry_after: float | None = None

    @property
    def answered(self) -> bool:
        return self.unavailable is None


class LookupProvider(Protocol):
    name: str

    def answer(self, request: Request) -> Answer:
        """The provider's answer to one request; never raises for the provider's own failures
        (an HTTP error, a refused connection): an Answer with `unavailable` set."""

    def close(self) -> None: ...


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def unavailable(provider: str, reason: str, retry_after: float | None = None) -> Answer:
    return Answer(provider=provider, checked_at=now_utc(), unavailable=reason, retry_after=retry_after)


class NoProvider:
    """`provider: none`: lookups off; every request is unavailable and nothing is sent."""

    name = "none"

    def answer(self, request: Request) -> Answer:
        return unavailable(self.name, "lookups are off (provider: none)")

    def close(self) -> None:
        pass


class Pace:
    """At most `per_second` starts a second (a monotonic schedule; thread-safe)."""

    def __init__(self, per_second: float, sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self._next = 0.0
        self._lock = threading.Lock()
        self._sleep = sleep

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            self._sleep(start - now)


def ask(provider: LookupProvider, requests: Iterable[Request], *, requests_per_second: float,
        outage_after: int) -> Iterator[tuple[Request, Answer]]:
    """Each request with its answer, in order. After `outage_after` unanswered requests in a
    row the provider is down: the rest are answered "unavailable: provider down" unsent."""
    pace = Pace(requests_per_second)
    failures, down = 0, None
    for request in requests:
        if down is not None:
            yield request, unavailable(provider.name, down)
            continue
        pace.wait()
        answer = provider.answer(request)
        if not answer.answered and answer.retry_after is not None:
            time.sleep(min(answer.retry_after, MAX_RETRY_AFTER))
            answer = provider.answer(request)
        if answer.answered:
            failures = 0
        else:
            failures += 1
            if failures >= outage_after:
                down = f"provider down: {answer.unavailable}"
                log.warning("%s: %d requests in a row unanswered (%s): not asking the rest", provider.name,
                            failures, answer.unavailable)
            answer = replace(answer, retry_after=None)
        yield request, answer
