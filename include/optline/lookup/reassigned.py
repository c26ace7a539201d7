"""Reassigned numbers: before a welcome is queued, a number whose opt-in predates a
reassignment gets no welcome (docs/lookup.md).

For every welcome about to be queued (`lookup/welcome_reassignment_candidates`: a pending
membership with no welcome for its list and number yet), the policy of the batch that brought
the membership (`reassigned_numbers`) says whether to ask and whom (twilio, fcc_rnd: the
imported FCC answers; none: nobody). The question is the FCC's: has the number been
permanently disconnected since the consent date, the number's latest opt-in on the channel?
The cache answers first (`cache.reassigned_answer_holds`); the rest are asked, rate-limited,
their answers committed as they come. A "yes" writes the welcome to the outbox as cancelled
(`reassigned_number`, the date asked about and the provider as its detail) under the welcome's
own key, so `enqueue_welcomes` never queues it and the dispatcher never sends it.

A number without an answer (provider down, no FCC answer imported): `unavailable: wait`
raises ReassignmentCheckUnavailable before anything is queued (the welcome task is retried
later; the answers so far are kept); `pass_unknown` lets its welcome be queued.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

import duckdb
import pyarrow as pa

from optline import ids, warehouse
from optline.contacts.batch import BatchNotFoundError, load_batch
from optline.contacts.policy import load_policy
from optline.intake.chunks import registered
from optline.lookup import cache, providers
from optline.lookup.base import Answer, LookupProvider, Request, ask, now_utc

log = logging.getLogger(__name__)

KIND = "reassigned"
STORE_EVERY = 50  # answers committed at a time
_CANCEL_COLUMNS = {"idempotency_key": pa.string(), "list_id": pa.int64(), "channel": pa.string(),
                   "contact_id": pa.int64(), "e164": pa.string(), "number_hmac": pa.string(),
                   "batch_id": pa.int64(), "detail": pa.string()}


class ReassignmentCheckUnavailable(RuntimeError):
    """Some welcomes' numbers got no reassignment answer and their policy says wait: nothing is
    queued now; the next run asks only those."""


@dataclass(frozen=True)
class ScreenResult:
    welcomes: int = 0      # welcomes about to be queued whose policy asks
    from_cache: int = 0
    looked_up: int = 0     # requests answered by the provider (what it cost)
    suppressed: int = 0    # welcomes cancelled: reassigned since the consent
    unavailable: int = 0   # no answer (provider down, nothing imported), let through (pass_unknown)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _settings_by_batch(conn: duckdb.DuckDBPyConnection, batch_ids: set[int]) -> dict[int, dict[str, Any]]:
    """Each membership's batch's `reassigned_numbers` settings: a contact batch's policy; a list
    touch-up's member (no contact batch has its id: the counter is shared) the default policy's."""
    settings = {}
    for batch_id in sorted(batch_ids):
        try:
            settings[batch_id] = load_batch(conn, batch_id).policy.reassigned_numbers
        except BatchNotFoundError:
            settings[batch_id] = load_policy().reassigned_numbers
    return settings


def _detail(answer: dict[str, Any], since: dt.date) -> str:
    return (f"reassigned after the consent of {since.isoformat()} ({answer['provider']}, answered "
            f"{answer['checked_at']:%Y-%m-%d})")


def screen_welcomes(conn: duckdb.DuckDBPyConnection, now: dt.datetime | None = None,
                    provider_for: dict[str, LookupProvider] | None = None) -> ScreenResult:
    """Check the welcomes about to be queued for reassigned numbers; cancel those reassigned.
    `provider_for`: provider name -> the provider to ask (default: `providers.build`)."""
    candidates = [row for row in warehouse.fetch_dicts(conn, "lookup/welcome_reassignment_candidates")
                  if row["opted_in_at"] is not None]
    if not candidates:
        return ScreenResult()
    settings = _settings_by_batch(conn, {row["batch_id"] for row in candidates})
    checked = [row for row in candidates if settings[row["batch_id"]]["provider"] != "none"]
    if not checked:
        return ScreenResult()
    now = now or now_utc()
    wall = now_utc()
    cached = cache.answers_for(conn, KIND, sorted({row["number_hmac"] for row in checked}))
    to_ask: dict[str, dict[tuple[str, dt.date], Request]] = defaultdict(dict)
    from_cache = 0
    for row in checked:
        policy = settings[row["batch_id"]]
        row["since"] = row["opted_in_at"].date()
        found = cached.get(row["number_hmac"])
        fresh_from = cache.fresh_since(float(policy["max_age_days"]), wall)
        if found is not None and cache.reassigned_answer_holds(found, row["since"], fresh_from):
            row["answer"] = found
            from_cache += 1
        else:
            to_ask[policy["provider"]][(row["number_hmac"], row["since"])] = Request(
                row["e164"], row["number_hmac"], KIND, row["since"])
    answers, looked_up = _ask(conn, to_ask, settings, checked, provider_for or {})
    for row in checked:
        row.setdefault("answer", answers.get((row["number_hmac"], row["since"])))
    reassigned = [row for row in checked if row["answer"] is not None and row["answer"]["reassigned"] == "yes"]
    unanswered = [row for row in checked if row["answer"] is None]
    _cancel(conn, reassigned, now)
    result = ScreenResult(len(checked), from_cache, looked_up, len(reassigned), len(unanswered))
    log.info("reassigned numbers: %d welcomes checked, %d from the cache, %d looked up, %d suppressed, "
             "%d unanswered", result.welcomes, result.from_cache, result.looked_up, result.suppressed,
             result.unavailable)
    waiting = [row for row in unanswered if settings[row["batch_id"]]["unavailable"] == "wait"]
    if waiting:
        raise ReassignmentCheckUnavailable(
            f"{len(waiting)} welcome(s) got no reassigned-number answer and their policy says wait "
            "(reassigned_numbers.unavailable): no welcome is queued until they are answered; the next run "
            "asks only those (for fcc_rnd: import the FCC's answers for them, docs/lookup.md)")
    return result


def _ask(conn: duckdb.DuckDBPyConnection, to_ask: dict[str, dict[tuple[str, dt.date], Request]],
         settings: dict[int, dict[str, Any]], checked: list[dict[str, Any]],
         provider_for: dict[str, LookupProvider]) -> tuple[dict[tuple[str, dt.date], dict[str, Any]], int]:
    """Ask each provider its requests; the answers by (number_hmac, date), and how many were asked."""
    answers: dict[tuple[str, dt.date], dict[str, Any]] = {}
    looked_up = 0
    for name, requests in to_ask.items():
        policy = next(settings[row["batch_id"]] for row in checked if settings[row["batch_id"]]["provider"] == name)
        provider = provider_for.get(name) or providers.build(name)
        try:
            if getattr(provider, "asks", True) is False:
                continue  # answers only what was imported (the cache)
            pending: list[tuple[Request, Answer]] = []
            for request, answer in ask(provider, requests.values(),
                                       requests_per_second=float(policy["requests_per_second"]),
                                       outage_after=int(policy["outage_after_failures"])):
                if answer.answered:
                    looked_up += 1
                    answers[(request.number_hmac, request.since)] = {
                        "provider": answer.provider, "reassigned": answer.reassigned, "checked_at": answer.checked_at}
                pending.append((request, answer))
                if len(pending) >= STORE_EVERY:
                    cache.store(conn, KIND, pending)
                    pending = []
            cache.store(conn, KIND, pending)
        finally:
            if name not in provider_for:
                provider.close()
    return answers, looked_up


def _cancel(conn: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]], now: dt.datetime) -> None:
    """Write the reassigned numbers' welcomes to the outbox as cancelled (one transaction)."""
    if not rows:
        return
    values = {c: [row[c] for row in rows] for c in _CANCEL_COLUMNS if c != "detail"}
    values["detail"] = [_detail(row["answer"], row["since"]) for row in rows]
    table = pa.table({c: pa.array(values[c], t) for c, t in _CANCEL_COLUMNS.items()})
    with warehouse.transaction(conn), registered(conn, "reassigned_welcomes", table):
        ids.insert(conn, "lookup/outbox_insert_reassigned", "outbox_id", now=now)
    log.warning("%d welcome(s) not queued: the number was reassigned after its consent (reassigned_number)",
                len(rows))
