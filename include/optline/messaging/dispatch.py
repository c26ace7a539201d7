"""The dispatcher: send due outbox messages, once each, never to a suppressed number, never
outside the recipient's hours.

Once-only protocol (one dispatcher at a time: DuckDB admits one writing process, and the
DAG runs one at a time in the `duckdb_writer` pool):

1. **Reconcile first.** A message left `claimed` (the process died, or the provider's answer
   was lost: timeout, dropped connection, 5xx) is looked up at the provider before anything
   else: found → `sent` with the provider's id; certainly not there → queued again; the
   provider cannot tell → it stays claimed and is *not* resent (asked again next run).
2. **Check at send time.** For each due message: the consent ledger and suspensions (read
   with the batch in `messaging/outbox_due`; while the dispatcher holds the warehouse no
   other process can write the ledger, so this is the state at the moment of sending: a
   STOP after queueing cancels it), the recipient's quiet hours and per-24-hours cap
   (`optline.quiethours`: it waits with `not_before`).
3. **Claim, commit, call, record.** The claim (status `claimed`, attempts + 1) is committed
   before the provider is called; the provider's id is recorded after. Between the two a
   crash leaves a claim, which step 1 resolves; nothing is ever sent blind twice.

Every call and lookup is appended to `msg.send_attempts`. Pace: at most `rate_per_second`
calls; a run stops after `max_messages_per_run` or `max_seconds_per_run` so that imports get
the warehouse back. Logs and results carry counts only.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb

from optline import warehouse
from optline.messaging import quiethours
from optline.messaging.providers import LookupOutcome, OutgoingMessage, Provider, SendOutcome
from optline.messaging.settings import DispatchSettings
from optline.runs import RunContext

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
AUTH_REFUSED = (401, 403)  # the provider refused our credentials: a configuration error, not the message's
RECONCILE_AFTER = dt.timedelta(seconds=30)  # a claim younger than this may still be in flight


@dataclass
class DispatchResult:
    """What one run did (counts only: fit for XCom and logs)."""
    provider: str
    sent: int = 0
    reconciled_sent: int = 0
    reconciled_requeued: int = 0
    unresolved: int = 0            # claimed, outcome still unknown: not resent
    retry_later: int = 0
    unknown: int = 0               # calls whose outcome was unknown (reconciled next run)
    failed: int = 0
    cancelled: dict[str, int] = field(default_factory=dict)
    deferred: dict[str, int] = field(default_factory=dict)
    stopped_by: str = "queue empty"  # queue empty | max_messages_per_run | max_seconds_per_run
    seconds: float = 0.0

    def as_xcom(self) -> dict[str, Any]:
        return {k: (dict(v) if isinstance(v, dict) else v) for k, v in vars(self).items()}

    def line(self) -> str:
        cancelled = sum(self.cancelled.values())
        deferred = sum(self.deferred.values())
        return (f"{self.provider}: {self.sent} sent, {self.reconciled_sent} found sent and "
                f"{self.reconciled_requeued} requeued by reconciliation, {self.unresolved} unresolved, "
                f"{self.retry_later} to retry, {self.unknown} unknown, {self.failed} failed, {cancelled} cancelled "
                f"{dict(self.cancelled)}, {deferred} waiting {dict(self.deferred)}; stopped: {self.stopped_by}; "
                f"{self.seconds:.1f} s")


class ProviderAuthError(RuntimeError):
    """The provider refused the credentials: the run stops and the message waits, unharmed."""


class Pacer:
    """At most `rate` calls per second (monotonic clock)."""

    def __init__(self, rate: float, sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 1.0 / rate
        self.sleep = sleep
        self.next_at = time.monotonic()

    def wait(self) -> None:
        now = time.monotonic()
        if now < self.next_at:
            self.sleep(self.next_at - now)
        self.next_at = max(now, self.next_at) + self.interval


def wall_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def clock_from(start: dt.datetime) -> Clock:
    """A clock that starts at `start` and runs at real speed (an explicit `as_of` for demos and tests)."""
    t0 = time.monotonic()
    return lambda: start + dt.timedelta(seconds=time.monotonic() - t0)


def _attempt(conn: duckdb.DuckDBPyConnection, run: RunContext, *, outbox_id: int, attempt: int, claim_token: str,
             action: str, outcome: str, provider: str, claimed_at: dt.datetime, finished_at: dt.datetime,
             provider_message_id: str | None = None, http_status: int | None = None,
             error: str | None = None) -> None:
    warehouse.run(conn, "messaging/send_attempts_insert", outbox_id=outbox_id, attempt=attempt,
                  claim_token=claim_token, action=action, outcome=outcome, provider=provider,
                  provider_message_id=provider_message_id, http_status=http_status, error=error,
                  claimed_at=claimed_at, finished_at=finished_at, dag_id=run.dag_id, run_id=run.run_id)


def _backoff(settings: DispatchSettings, attempts: int, retry_after: float | None) -> dt.timedelta:
    seconds = settings.retry_backoff_seconds * 2 ** max(attempts - 1, 0)
    return dt.timedelta(seconds=max(seconds, retry_after or 0.0))


def reconcile(conn: duckdb.DuckDBPyConnection, provider: Provider, run: RunContext, settings: DispatchSettings,
              clock: Clock, result: DispatchResult) -> None:
    """Resolve every claim older than RECONCILE_AFTER by asking the provider."""
    now = clock()
    claimed = warehouse.fetch_dicts(conn, "messaging/outbox_claimed", claimed_before=now - RECONCILE_AFTER)
    if claimed:
        log.info("reconciling %d message(s) whose outcome is unknown before sending anything", len(claimed))
    for row in claimed:
        if row["provider"] != provider.name:
            log.warning("outbox %d was claimed with provider %s, not %s: left claimed for an operator",
                        row["outbox_id"], row["provider"], provider.name)
            result.unresolved += 1
            continue
        message = OutgoingMessage(idempotency_key=row["idempotency_key"], to=row["e164"], channel=row["channel"],
                                  body=row["body"], claimed_at=row["claimed_at"])
        known = {r[0] for r in warehouse.run(conn, "messaging/provider_ids_for_number", e164=row["e164"],
                                             outbox_id=row["outbox_id"]).fetchall()}
        found: LookupOutcome = provider.lookup(message, known)
        now = clock()
        ids = {"outbox_id": row["outbox_id"], "claim_token": row["claim_token"], "now": now}
        with warehouse.transaction(conn):
            _attempt(conn, run, outbox_id=row["outbox_id"], attempt=row["attempts"], claim_token=row["claim_token"],
                     action="lookup", outcome=found.status, provider=provider.name, claimed_at=row["claimed_at"],
                     finished_at=now, provider_message_id=found.provider_message_id, error=found.error)
            if found.status == "found":
                warehouse.run(conn, "messaging/outbox_mark_sent", provider_message_id=found.provider_message_id, **ids)
                result.reconciled_sent += 1
            elif found.status == "not_found" and row["attempts"] >= settings.max_attempts:
                warehouse.run(conn, "messaging/outbox_fail", reason="max_attempts", error="not found at provider",
                              **ids)
                result.failed += 1
            elif found.status == "not_found":
                warehouse.run(conn, "messaging/outbox_requeue", not_before=now, error="not found at provider", **ids)
                result.reconciled_requeued += 1
            else:
                result.unresolved += 1
    if result.unresolved:
        log.warning("%d message(s) still claimed with an unknown outcome: not resent; asked again next run",
                    result.unresolved)


def _record(conn: duckdb.DuckDBPyConnection, run: RunContext, settings: DispatchSettings, provider: str,
            due: dict[str, Any], attempts: int, claim_token: str, claimed_at: dt.datetime, outcome: SendOutcome,
            now: dt.datetime, result: DispatchResult) -> None:
    ids = {"outbox_id": due["outbox_id"], "claim_token": claim_token, "now": now}
    with warehouse.transaction(conn):
        _attempt(conn, run, outbox_id=due["outbox_id"], attempt=attempts, claim_token=claim_token, action="send",
                 outcome=outcome.status, provider=provider, claimed_at=claimed_at, finished_at=now,
                 provider_message_id=outcome.provider_message_id, http_status=outcome.http_status,
                 error=outcome.error)
        if outcome.status == "accepted":
            warehouse.run(conn, "messaging/outbox_mark_sent", provider_message_id=outcome.provider_message_id, **ids)
            result.sent += 1
        elif outcome.status == "rejected" and outcome.http_status in AUTH_REFUSED:
            warehouse.run(conn, "messaging/outbox_requeue", error=outcome.error, not_before=now, **ids)
        elif outcome.status == "retry" and attempts < settings.max_attempts:
            warehouse.run(conn, "messaging/outbox_requeue", error=outcome.error,
                          not_before=now + _backoff(settings, attempts, outcome.retry_after), **ids)
            result.retry_later += 1
        elif outcome.status in ("retry", "rejected"):
            reason = "rejected" if outcome.status == "rejected" else "max_attempts"
            warehouse.run(conn, "messaging/outbox_fail", reason=reason, error=outcome.error, **ids)
            result.failed += 1
        else:  # unknown: stays claimed; reconciled before any resend
            warehouse.run(conn, "messaging/outbox_note_unknown", error=outcome.error, **ids)
            result.unknown += 1


def dispatch(conn: duckdb.DuckDBPyConnection, provider: Provider, run: RunContext, settings: DispatchSettings,
             policy: quiethours.QuietHoursPolicy, *, clock: Clock = wall_clock,
             sleep: Callable[[float], None] = time.sleep) -> DispatchResult:
    """Reconcile, then send what is due in batches until the queue is empty or a run limit is hit."""
    started = time.monotonic()
    result = DispatchResult(provider=provider.name)
    cancelled: Counter[str] = Counter()
    deferred: Counter[str] = Counter()
    reconcile(conn, provider, run, settings, clock, result)
    pacer = Pacer(settings.rate_per_second, sleep)
    calls = batches = 0
    while True:
        if calls >= settings.max_messages_per_run:
            result.stopped_by = "max_messages_per_run"
            break
        if time.monotonic() - started >= settings.max_seconds_per_run:
            result.stopped_by = "max_seconds_per_run"
            break
        due_rows = warehouse.fetch_dicts(conn, "messaging/outbox_due", now=clock(), limit=settings.batch_size)
        if not due_rows:
            break
        batches += 1
        for due in due_rows:
            if calls >= settings.max_messages_per_run or time.monotonic() - started >= settings.max_seconds_per_run:
                break
            now = clock()
            if due["block_reason"]:
                warehouse.run(conn, "messaging/outbox_cancel", outbox_id=due["outbox_id"], reason=due["block_reason"],
                              now=now)
                cancelled[due["block_reason"]] += 1
                continue
            rules = quiethours.recipient_rules(quiethours.Recipient(
                e164=due["e164"], state=due["state"], postcode=due["postcode"],
                number_time_zones=tuple(due["time_zones"] or ())), policy)
            recent = []
            if rules.cap is not None:
                recent = [r[0] for r in warehouse.run(conn, "messaging/recent_sends", number_hmac=due["number_hmac"],
                                                      since=now - dt.timedelta(hours=24)).fetchall()]
            when = quiethours.earliest_send(now, rules, recent)
            if when > now:
                reason = "daily_cap" if quiethours.cap_release(now, rules, recent) else "quiet_hours"
                warehouse.run(conn, "messaging/outbox_defer", outbox_id=due["outbox_id"], not_before=when,
                              reason=reason, now=now)
                deferred[reason] += 1
                continue
            pacer.wait()
            claimed_at = clock()
            claim_token = f"{uuid.uuid4().hex}"
            with warehouse.transaction(conn):
                claimed = warehouse.run(conn, "messaging/outbox_claim", outbox_id=due["outbox_id"],
                                        claim_token=claim_token, now=claimed_at, provider=provider.name).fetchone()
            if claimed is None:
                continue  # no longer queued
            attempts = claimed[0]
            calls += 1
            outcome = provider.send(OutgoingMessage(idempotency_key=due["idempotency_key"], to=due["e164"],
                                                    channel=due["channel"], body=due["body"], claimed_at=claimed_at))
            _record(conn, run, settings, provider.name, due, attempts, claim_token, claimed_at, outcome, clock(),
                    result)
            if outcome.status == "rejected" and outcome.http_status in AUTH_REFUSED:
                raise ProviderAuthError(f"{provider.name} refused our credentials ({outcome.error}): nothing more is "
                                        "sent this run and the message waits; fix the provider's Airflow connection")
        log.info("batch %d: %d sent so far, %d waiting, %d cancelled, %d to retry, %d unknown", batches,
                 result.sent, sum(deferred.values()), sum(cancelled.values()), result.retry_later, result.unknown)
    result.cancelled = dict(sorted(cancelled.items()))
    result.deferred = dict(sorted(deferred.items()))
    result.seconds = round(time.monotonic() - started, 3)
    log.info("dispatch done: %s", result.line())
    return result
