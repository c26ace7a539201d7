"""The dispatcher: send due outbox messages, once each, never to a suppressed number, never
outside the recipient's hours, in batches, calling the provider concurrently within its rate.

Once-only protocol (one dispatcher at a time: DuckDB admits one writing process, and the
DAG runs one at a time in the `duckdb_writer` pool):

1. **Reconcile first.** A message left `claimed` (the process died, or the provider's answer
   was lost: timeout, dropped connection, 5xx) is looked up at the provider before anything
   else: found → `sent` with the provider's id; certainly not there → queued again; the
   provider cannot tell → it stays claimed and is *not* resent (asked again next run). The
   lookups go one by one (an id found for one message is never matched to another); their
   outcomes are recorded together, `batch_size` messages per transaction.
2. **Check at send time.** For each due message: the consent ledger and suspensions (read
   with the batch in `messaging/outbox_due`; while the dispatcher holds the warehouse no
   other process can write the ledger, so this is the state at the moment of sending: a
   STOP after queueing cancels it), the recipient's quiet hours and per-24-hours cap
   (`optline.quiethours`: it waits with `not_before`; the cap counts the messages claimed
   earlier in the same batch). A worker checks the recipient's hours once more right before
   its call.
3. **Claim a batch, commit, call, record the batch.** One transaction cancels, defers and
   claims the batch (status `claimed`, attempts + 1, a claim token per message, prefixed
   by the batch's; only messages still queued with the attempts they were picked with) and
   commits before any provider call. Then a pool of `concurrency` threads calls the provider,
   paced by one shared `Pacer` (never more than `rate_per_second` calls started per second).
   Then one transaction records every outcome of the batch (one set-based statement per kind
   of outcome, one insert into `msg.send_attempts`) and, in the same commit, claims the next
   batch. A crash between two commits leaves claims, which step 1 resolves; nothing is ever
   sent blind twice. A claim whose call was certainly never made (the run stopped first) is
   released in the recording transaction. While a batch's calls are in flight the next batch
   is picked and checked (step 2, read only); it is claimed only with the batch in flight's
   record, so at most one batch is ever claimed and unrecorded.

Reads and commits are what a batch costs on a lake (each statement scans a few tables through
the catalog), so one read of the due messages serves up to `DUE_READ_BATCHES` batches, for
at most `DUE_READ_MAX_AGE_SECONDS`, and a claim is read back only when it took fewer messages
than were picked.

Batch size: the first claim of a run is one message (it proves the provider's credentials
before a batch goes out: a refusal stops the run, see `ProviderAuthError`); after it
`batch_size`, bounded by what is left of `max_messages_per_run` and by what the rate admits in
`CLAIM_AHEAD_SECONDS` (a claim is never far ahead of its call). A run stops after
`max_messages_per_run` claims or `max_seconds_per_run` (no call starts after it; its claims
are released) so that imports get the warehouse back. Logs and results carry counts only.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
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
CLAIM_AHEAD_SECONDS = 2.0  # a batch claims at most what the rate admits in this long
DUE_READ_BATCHES = 4  # one read of the due messages serves up to this many batches...
DUE_READ_MAX_AGE_SECONDS = 5.0  # ...read no longer ago than this


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
    """At most `rate` calls started per second (monotonic clock), shared by the workers: each
    `wait` takes the next free slot, `1 / rate` after the previous one, and sleeps until it."""

    def __init__(self, rate: float, sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 1.0 / rate
        self.sleep = sleep
        self.next_at = time.monotonic()
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            at = max(now, self.next_at)
            self.next_at = at + self.interval
        if at > now:
            self.sleep(at - now)


def wall_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def clock_from(start: dt.datetime) -> Clock:
    """A clock that starts at `start` and runs at real speed (an explicit `as_of` for demos and tests)."""
    t0 = time.monotonic()
    return lambda: start + dt.timedelta(seconds=time.monotonic() - t0)


def _backoff(settings: DispatchSettings, attempts: int, retry_after: float | None) -> dt.timedelta:
    seconds = settings.retry_backoff_seconds * 2 ** max(attempts - 1, 0)
    return dt.timedelta(seconds=max(seconds, retry_after or 0.0))


# --------------------------------------------------------------------------- recording, set-based


@dataclass
class _Attempt:
    """One provider call or lookup, for `msg.send_attempts` and the outbox's new state."""
    outbox_id: int
    attempt: int
    claim_token: str
    claimed_at: dt.datetime
    outcome: str
    finished_at: dt.datetime
    provider_message_id: str | None = None
    http_status: int | None = None
    error: str | None = None


@dataclass
class _Record:
    """What one transaction writes: the attempts of one action, and the outbox's changes by kind."""
    action: str                                   # send | lookup
    attempts: list[_Attempt] = field(default_factory=list)
    sent: list[tuple[int, str, str | None, dt.datetime]] = field(default_factory=list)
    requeued: list[tuple[int, str, dt.datetime, str | None, dt.datetime]] = field(default_factory=list)
    failed: list[tuple[int, str, str, str | None, dt.datetime]] = field(default_factory=list)
    unknown: list[tuple[int, str, str | None, dt.datetime]] = field(default_factory=list)
    released: list[tuple[int, str]] = field(default_factory=list)   # claims whose call was never made

    def __bool__(self) -> bool:
        return bool(self.attempts or self.released)


def _columns(rows: Sequence[tuple], *names: str) -> dict[str, list]:
    return {name: [row[i] for row in rows] for i, name in enumerate(names)}


def _write(conn: duckdb.DuckDBPyConnection, run: RunContext, provider: str, record: _Record,
           now: dt.datetime) -> None:
    """Everything in `record`, inside the caller's transaction: one statement per kind."""
    if record.attempts:
        a = record.attempts
        warehouse.run(conn, "messaging/send_attempts_insert", action=record.action, provider=provider,
                      dag_id=run.dag_id, run_id=run.run_id,
                      outbox_ids=[x.outbox_id for x in a], attempts=[x.attempt for x in a],
                      claim_tokens=[x.claim_token for x in a], outcomes=[x.outcome for x in a],
                      provider_message_ids=[x.provider_message_id for x in a],
                      http_statuses=[x.http_status for x in a], errors=[x.error for x in a],
                      claimed_ats=[x.claimed_at for x in a], finished_ats=[x.finished_at for x in a])
    if record.sent:
        warehouse.run(conn, "messaging/outbox_mark_sent",
                      **_columns(record.sent, "outbox_ids", "claim_tokens", "provider_message_ids", "ats"))
    if record.requeued:
        warehouse.run(conn, "messaging/outbox_requeue",
                      **_columns(record.requeued, "outbox_ids", "claim_tokens", "not_befores", "errors", "ats"))
    if record.failed:
        warehouse.run(conn, "messaging/outbox_fail",
                      **_columns(record.failed, "outbox_ids", "claim_tokens", "reasons", "errors", "ats"))
    if record.unknown:
        warehouse.run(conn, "messaging/outbox_note_unknown",
                      **_columns(record.unknown, "outbox_ids", "claim_tokens", "errors", "ats"))
    if record.released:
        warehouse.run(conn, "messaging/outbox_release", **_columns(record.released, "outbox_ids", "claim_tokens"),
                      now=now)


# --------------------------------------------------------------------------- 1. reconcile


def reconcile(conn: duckdb.DuckDBPyConnection, provider: Provider, run: RunContext, settings: DispatchSettings,
              clock: Clock, result: DispatchResult) -> None:
    """Resolve every claim older than RECONCILE_AFTER by asking the provider."""
    now = clock()
    claimed = warehouse.fetch_dicts(conn, "messaging/outbox_claimed", claimed_before=now - RECONCILE_AFTER)
    if claimed:
        log.info("reconciling %d message(s) whose outcome is unknown before sending anything", len(claimed))
    for start in range(0, len(claimed), settings.batch_size):
        _reconcile_batch(conn, provider, run, settings, clock, result, claimed[start:start + settings.batch_size])
    if result.unresolved:
        log.warning("%d message(s) still claimed with an unknown outcome: not resent; asked again next run",
                    result.unresolved)


def _reconcile_batch(conn: duckdb.DuckDBPyConnection, provider: Provider, run: RunContext,
                     settings: DispatchSettings, clock: Clock, result: DispatchResult,
                     claimed: list[dict[str, Any]]) -> None:
    # provider ids recorded per number, with the message each belongs to; ids found below join them
    ids: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for e164, outbox_id, provider_id in warehouse.run(conn, "messaging/provider_ids_for_numbers",
                                                      e164s=sorted({r["e164"] for r in claimed})).fetchall():
        ids[e164].append((outbox_id, provider_id))
    record = _Record("lookup")
    for row in claimed:
        if row["provider"] != provider.name:
            log.warning("outbox %d was claimed with provider %s, not %s: left claimed for an operator",
                        row["outbox_id"], row["provider"], provider.name)
            result.unresolved += 1
            continue
        message = OutgoingMessage(idempotency_key=row["idempotency_key"], to=row["e164"], channel=row["channel"],
                                  body=row["body"], claimed_at=row["claimed_at"])
        known = {pid for oid, pid in ids[row["e164"]] if oid != row["outbox_id"]}
        found: LookupOutcome = provider.lookup(message, known)
        now = clock()
        outbox_id, token = row["outbox_id"], row["claim_token"]
        record.attempts.append(_Attempt(outbox_id, row["attempts"], token, row["claimed_at"], found.status, now,
                                        provider_message_id=found.provider_message_id, error=found.error))
        if found.status == "found":
            record.sent.append((outbox_id, token, found.provider_message_id, now))
            ids[row["e164"]].append((outbox_id, found.provider_message_id))
            result.reconciled_sent += 1
        elif found.status == "not_found" and row["attempts"] >= settings.max_attempts:
            record.failed.append((outbox_id, token, "max_attempts", "not found at provider", now))
            result.failed += 1
        elif found.status == "not_found":
            record.requeued.append((outbox_id, token, now, "not found at provider", now))
            result.reconciled_requeued += 1
        else:
            result.unresolved += 1
    if record:
        with warehouse.transaction(conn):
            _write(conn, run, provider.name, record, clock())


# --------------------------------------------------------------------------- 2. check at send time


@dataclass
class _Send:
    """A due message that may go now: its recipient's rules and sends in the last 24 hours."""
    due: dict[str, Any]
    rules: quiethours.SendRules
    recent: tuple[dt.datetime, ...]


@dataclass
class _Plan:
    cancels: list[tuple[int, str]] = field(default_factory=list)
    defers: list[tuple[int, dt.datetime, str]] = field(default_factory=list)
    sends: list[_Send] = field(default_factory=list)


def _plan(conn: duckdb.DuckDBPyConnection, due_rows: list[dict[str, Any]], policy: quiethours.QuietHoursPolicy,
          now: dt.datetime, room: int) -> _Plan:
    """Decide, message by message in due order, until `room` messages may go: cancel, wait, or send."""
    plan = _Plan()
    # the rows to decide: in due order, until `room` of them are inside their recipient's hours
    # (the rest waits for the next batch); the caps are then read for these rows at once
    considered: list[dict[str, Any]] = []
    rules_of: dict[int, quiethours.SendRules] = {}
    in_hours = 0
    for due in due_rows:
        if in_hours >= room:
            break
        considered.append(due)
        if not due["block_reason"]:
            rules = rules_of[due["outbox_id"]] = quiethours.recipient_rules(quiethours.Recipient(
                e164=due["e164"], state=due["state"], postcode=due["postcode"],
                number_time_zones=tuple(due["time_zones"] or ())), policy)
            in_hours += quiethours.earliest_send(now, rules) <= now
    capped = sorted({d["number_hmac"] for d in considered if d["outbox_id"] in rules_of
                     and rules_of[d["outbox_id"]].cap is not None})
    recent: dict[str, list[dt.datetime]] = defaultdict(list)
    if capped:
        for number_hmac, sent_at in warehouse.run(conn, "messaging/recent_sends", number_hmacs=capped,
                                                  since=now - dt.timedelta(hours=24)).fetchall():
            recent[number_hmac].append(sent_at)
    for due in considered:
        if len(plan.sends) >= room:
            break
        if due["block_reason"]:
            plan.cancels.append((due["outbox_id"], due["block_reason"]))
            continue
        rules = rules_of[due["outbox_id"]]
        sends = tuple(recent[due["number_hmac"]]) if rules.cap is not None else ()
        when = quiethours.earliest_send(now, rules, sends)
        if when > now:
            reason = "daily_cap" if quiethours.cap_release(now, rules, sends) else "quiet_hours"
            plan.defers.append((due["outbox_id"], when, reason))
            continue
        plan.sends.append(_Send(due, rules, sends))
        if rules.cap is not None:
            recent[due["number_hmac"]].append(now)  # claimed now: the cap counts it for the next ones
    return plan


# --------------------------------------------------------------------------- 3. claim, call, record


def _claim(conn: duckdb.DuckDBPyConnection, plan: _Plan, provider: str, batch_token: str,
           now: dt.datetime) -> dict[int, tuple[int, str]]:
    """The batch's cancels, waits and claim, inside the caller's transaction (committed before
    any call). Returns outbox id -> (attempts, the message's claim token)."""
    if plan.cancels:
        warehouse.run(conn, "messaging/outbox_cancel", **_columns(plan.cancels, "outbox_ids", "reasons"), now=now)
    if plan.defers:
        warehouse.run(conn, "messaging/outbox_defer",
                      **_columns(plan.defers, "outbox_ids", "not_befores", "reasons"), now=now)
    if not plan.sends:
        return {}
    (count,) = warehouse.run(conn, "messaging/outbox_claim", **_columns(
        [(s.due["outbox_id"], s.due["attempts"], s.due["number_hmac"], s.due["channel"]) for s in plan.sends],
        "outbox_ids", "attempts", "number_hmacs", "channels"), claim_token=batch_token, now=now,
        provider=provider).fetchone()
    if count == len(plan.sends):  # every one claimed: the claim's columns are known without reading them back
        return {s.due["outbox_id"]: (s.due["attempts"] + 1, f"{batch_token}:{s.due['outbox_id']}")
                for s in plan.sends}
    rows = warehouse.run(conn, "messaging/outbox_claimed_by_token", claim_token=batch_token).fetchall()
    return {outbox_id: (attempts, token) for outbox_id, attempts, token in rows}


class _DueQueue:
    """The due messages read ahead: one read serves several batches (a read costs the same for
    500 rows as for 2,000, and on a lake each one is several table scans). Read again when fewer
    are left than a batch needs, or when the rows are older than `max_age` seconds; rows a plan
    decided leave it. A row kept here is only a candidate: the claim takes it only while it is
    still queued and its number is neither suppressed nor suspended at that moment."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, read_size: int, max_age: float) -> None:
        self.conn = conn
        self.read_size = read_size
        self.max_age = max_age
        self.rows: list[dict[str, Any]] = []
        self.read_at = 0.0

    def take(self, needed: int, now: dt.datetime) -> list[dict[str, Any]]:
        if len(self.rows) < needed or time.monotonic() - self.read_at > self.max_age:
            self.rows = warehouse.fetch_dicts(self.conn, "messaging/outbox_due", now=now, limit=self.read_size)
            self.read_at = time.monotonic()
        return self.rows

    def decided(self, plan: _Plan) -> None:
        done = {outbox_id for outbox_id, _ in plan.cancels} | {outbox_id for outbox_id, _, _ in plan.defers} \
            | {s.due["outbox_id"] for s in plan.sends}
        self.rows = [row for row in self.rows if row["outbox_id"] not in done]


class _Calls:
    """The provider calls of one run: a thread pool, one pacer, one stop signal."""

    def __init__(self, provider: Provider, settings: DispatchSettings, clock: Clock,
                 sleep: Callable[[float], None], deadline: float) -> None:
        self.provider = provider
        self.clock = clock
        self.deadline = deadline
        self.pacer = Pacer(settings.rate_per_second, sleep)
        self.pool = ThreadPoolExecutor(max_workers=settings.concurrency, thread_name_prefix="optline-send")
        self.stop = threading.Event()   # set by a refused credential or an error: no call starts after it

    def _may_call(self) -> bool:
        return not self.stop.is_set() and time.monotonic() < self.deadline

    def call(self, send: _Send, claimed_at: dt.datetime) -> tuple[SendOutcome, dt.datetime] | None:
        """One message's call, or None when it was certainly not made."""
        if not self._may_call():
            return None
        self.pacer.wait()
        if not self._may_call():
            return None
        now = self.clock()
        if quiethours.earliest_send(now, send.rules, send.recent) > now:
            return None  # the recipient's hours closed since the batch was planned: the next batch defers it
        due = send.due
        try:
            outcome = self.provider.send(OutgoingMessage(idempotency_key=due["idempotency_key"], to=due["e164"],
                                                         channel=due["channel"], body=due["body"],
                                                         claimed_at=claimed_at))
        except BaseException:
            self.stop.set()
            raise
        if outcome.status == "rejected" and outcome.http_status in AUTH_REFUSED:
            self.stop.set()
        return outcome, self.clock()

    def submit(self, sends: list[_Send], claimed_at: dt.datetime) -> list[Future]:
        """Start every call of a claimed batch (the pool runs them concurrently, the pacer spaces them)."""
        return [self.pool.submit(self.call, send, claimed_at) for send in sends]

    @staticmethod
    def gather(futures: list[Future]) -> list[Any]:
        """A result per call, in order: (outcome, finished_at), None (not called) or the exception it raised."""
        results: list[Any] = []
        for future in futures:
            try:
                results.append(future.result())
            except BaseException as exc:  # noqa: BLE001 - handed back to the caller, raised after recording
                results.append(exc)
        return results

    def close(self) -> None:
        self.stop.set()
        self.pool.shutdown(wait=True, cancel_futures=True)


def _outcome_record(settings: DispatchSettings, outcomes: list[tuple[_Send, tuple[int, str], Any]],
                    claimed_at: dt.datetime, result: DispatchResult
                    ) -> tuple[_Record, BaseException | None, str | None]:
    """The batch's record; the first exception a call raised; the error of a refused credential."""
    record = _Record("send")
    error: BaseException | None = None
    refused: str | None = None
    for send, (attempts, claim_token), answer in outcomes:
        outbox_id = send.due["outbox_id"]
        if answer is None:
            record.released.append((outbox_id, claim_token))
            continue
        if isinstance(answer, BaseException):
            error = error or answer  # its call may have been made: it stays claimed, reconciled next run
            continue
        outcome, now = answer
        record.attempts.append(_Attempt(outbox_id, attempts, claim_token, claimed_at, outcome.status, now,
                                        provider_message_id=outcome.provider_message_id,
                                        http_status=outcome.http_status, error=outcome.error))
        if outcome.status == "accepted":
            record.sent.append((outbox_id, claim_token, outcome.provider_message_id, now))
            result.sent += 1
        elif outcome.status == "rejected" and outcome.http_status in AUTH_REFUSED:
            record.requeued.append((outbox_id, claim_token, now, outcome.error, now))
            refused = outcome.error or f"http {outcome.http_status}"
        elif outcome.status == "retry" and attempts < settings.max_attempts:
            record.requeued.append((outbox_id, claim_token, now + _backoff(settings, attempts, outcome.retry_after),
                                    outcome.error, now))
            result.retry_later += 1
        elif outcome.status in ("retry", "rejected"):
            reason = "rejected" if outcome.status == "rejected" else "max_attempts"
            record.failed.append((outbox_id, claim_token, reason, outcome.error, now))
            result.failed += 1
        else:  # unknown: stays claimed; reconciled before any resend
            record.unknown.append((outbox_id, claim_token, outcome.error, now))
            result.unknown += 1
    return record, error, refused


def dispatch(conn: duckdb.DuckDBPyConnection, provider: Provider, run: RunContext, settings: DispatchSettings,
             policy: quiethours.QuietHoursPolicy, *, clock: Clock = wall_clock,
             sleep: Callable[[float], None] = time.sleep) -> DispatchResult:
    """Reconcile, then send what is due in batches until the queue is empty or a run limit is hit.

    While a batch's calls are in flight the next batch is planned (read only: the due messages
    and their send-time checks); once the calls are done, one transaction records the batch's
    outcomes and claims the next batch, committed before the next batch's calls start."""
    started = time.monotonic()
    result = DispatchResult(provider=provider.name)
    cancelled: Counter[str] = Counter()
    deferred: Counter[str] = Counter()
    reconcile(conn, provider, run, settings, clock, result)
    calls = _Calls(provider, settings, clock, sleep, deadline=started + settings.max_seconds_per_run)
    ahead = max(1, int(settings.rate_per_second * CLAIM_AHEAD_SECONDS))
    queue = _DueQueue(conn, read_size=settings.batch_size * DUE_READ_BATCHES, max_age=DUE_READ_MAX_AGE_SECONDS)
    state = {"claims": 0, "probed": False}   # claims made (calls made or in flight); the first claim done

    def next_plan() -> _Plan | None:
        if state["claims"] >= settings.max_messages_per_run:
            result.stopped_by = "max_messages_per_run"
            return None
        if time.monotonic() - started >= settings.max_seconds_per_run:
            result.stopped_by = "max_seconds_per_run"
            return None
        room = min(settings.batch_size, settings.max_messages_per_run - state["claims"], ahead) \
            if state["probed"] else 1
        due_rows = queue.take(room, clock())
        if not due_rows:
            return None
        plan = _plan(conn, due_rows, policy, clock(), room)
        queue.decided(plan)
        return plan

    def claim(plan: _Plan) -> tuple[dt.datetime, dict[int, tuple[int, str]]]:
        claimed_at = clock()
        claimed = _claim(conn, plan, provider.name, uuid.uuid4().hex, claimed_at)
        cancelled.update(reason for _, reason in plan.cancels)
        deferred.update(reason for _, _, reason in plan.defers)
        return claimed_at, claimed

    batches = 0
    try:
        plan = next_plan()
        if plan is not None:
            with warehouse.transaction(conn):
                claimed_at, claimed = claim(plan)
        while plan is not None:
            batches += 1
            sends = [s for s in plan.sends if s.due["outbox_id"] in claimed]  # the rest is no longer queued
            upcoming: _Plan | None = None
            record = _Record("send")
            error: BaseException | None = None
            refused: str | None = None
            if sends:
                state["claims"] += len(sends)
                futures = calls.submit(sends, claimed_at)
                if state["probed"]:
                    upcoming = next_plan()  # read only, while the calls run
                answers = calls.gather(futures)
                state["probed"] = True
                outcomes = [(s, claimed[s.due["outbox_id"]], a) for s, a in zip(sends, answers, strict=True)]
                record, error, refused = _outcome_record(settings, outcomes, claimed_at, result)
                state["claims"] -= len(record.released)
                if record.released:
                    log.info("%d claimed message(s) not called (the run stopped first): back in the queue",
                             len(record.released))
            if error is None and refused is None and upcoming is None:
                upcoming = next_plan()
            go_on = error is None and refused is None and upcoming is not None
            if record or go_on:
                with warehouse.transaction(conn):  # this batch's outcomes, then the next batch's claim
                    if record:
                        _write(conn, run, provider.name, record, clock())
                    if go_on:
                        claimed_at, claimed = claim(upcoming)
            if error is not None:
                raise error
            if refused is not None:
                raise ProviderAuthError(f"{provider.name} refused our credentials ({refused}): nothing more is "
                                        "sent this run and the message waits; fix the provider's Airflow "
                                        "connection")
            log.info("batch %d: %d sent so far, %d waiting, %d cancelled, %d to retry, %d unknown", batches,
                     result.sent, sum(deferred.values()), sum(cancelled.values()), result.retry_later,
                     result.unknown)
            plan = upcoming
    finally:
        calls.close()
    result.cancelled = dict(sorted(cancelled.items()))
    result.deferred = dict(sorted(deferred.items()))
    result.seconds = round(time.monotonic() - started, 3)
    log.info("dispatch done: %s", result.line())
    return result
