"""The import's line-type lookups: run by the contact pipeline's check, before the row rules.

For the batch's numbers the cache cannot answer (`ops.line_type_numbers`: parsed, from the
policy's `line_types.countries`, not already refused by phonenumbers' type; no answer younger
than `max_age_days`), in number order: `request_batch` requests at a time, each batch's answers
committed as it ends (a killed check asks only the rest when it runs again), paced at
`requests_per_second`, a progress line per batch. When the provider is down (`base.ask`) the
policy's `unavailable` says what happens:

- wait: the check fails with LookupsUnavailable (retried by Airflow; the batch stays staged,
  the answers so far kept), so the batch is checked once the provider answers;
- pass_unknown: the rows of the numbers without an answer are judged without a line type;
- hold: as pass_unknown, and the gate's verdict is turned into a hold for a reviewer with the
  reason (`hold_if_unanswered`, called by the pipeline's validate).

What it cost (numbers, asked, answered by the cache, unanswered) is `ops.batch_lookups`, for the
import summary and the review report.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, replace
from typing import Any

import duckdb

from optline import phones, warehouse
from optline.contacts.batch import Batch
from optline.contacts.gate import Verdict, record_decision
from optline.lookup import cache, providers
from optline.lookup.base import LookupProvider, Request, ask, now_utc

log = logging.getLogger(__name__)

KIND = "line_type"


class LookupsUnavailable(RuntimeError):
    """The provider did not answer for some numbers and the policy says wait: the step is
    retried later (not an input error: nothing about the file is wrong)."""


@dataclass(frozen=True)
class LookupCounts:
    provider: str
    numbers: int = 0
    looked_up: int = 0
    from_cache: int = 0
    unavailable: int = 0
    action: str | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _parameters(batch: Batch, now: Any) -> dict[str, Any]:
    settings = batch.policy.line_types
    return {"batch_id": batch.batch_id, "countries": _as_list(settings["countries"]),
            "reject_types": list(batch.policy.reject_number_types),
            "fresh_since": cache.fresh_since(float(settings["max_age_days"]), now)}


def check_line_types(conn: duckdb.DuckDBPyConnection, batch: Batch, provider: LookupProvider | None = None,
                     ) -> LookupCounts | None:
    """Ask the policy's provider the line types the cache cannot give for a staged batch, and
    record what it cost. None when the policy's lookups are off or the batch is past its check.
    `provider`: the one to ask (default: the policy's, `providers.build`)."""
    settings = batch.policy.line_types
    if batch.status != "staged" or settings["provider"] == "none":
        return None
    phones.normalize_batch(conn, batch.batch_id, batch.default_country)  # idempotent: the rules' own first step
    now = now_utc()
    parameters = _parameters(batch, now)
    to_ask = warehouse.fetch_dicts(conn, "lookup/line_type_numbers_to_ask", **parameters)
    owned = provider is None
    if provider is None:
        provider = providers.build(settings["provider"])  # a ConfigError says where the credentials go
    try:
        reason = _ask_all(conn, batch, provider, to_ask, settings)
    finally:
        if owned:
            provider.close()
    counts = _record(conn, batch, settings, parameters, reason)
    if counts.unavailable and counts.action == "wait":
        raise LookupsUnavailable(
            f"batch {batch.batch_id}: the line-type provider ({counts.provider}) gave no answer for "
            f"{counts.unavailable} of {counts.numbers} numbers ({counts.reason}); the policy says wait "
            f"(line_types.unavailable), so the batch is not checked yet: the next try asks only those")
    return counts


def _ask_all(conn: duckdb.DuckDBPyConnection, batch: Batch, provider: LookupProvider, to_ask: list[dict],
             settings: dict[str, Any]) -> str | None:
    """Ask, committing each request batch's answers; the last unavailable reason, if any."""
    total, size = len(to_ask), int(settings["request_batch"])
    if not total:
        log.info("batch %d: every line type from the cache", batch.batch_id)
        return None
    requests = (Request(row["e164"], row["number_hmac"], KIND) for row in to_ask)
    answered = asked = 0
    reason = None
    pending: list = []
    started = time.monotonic()
    for request, answer in ask(provider, requests, requests_per_second=float(settings["requests_per_second"]),
                               outage_after=int(settings["outage_after_failures"])):
        asked += 1
        if answer.answered:
            answered += 1
        else:
            reason = answer.unavailable
        pending.append((request, answer))
        if len(pending) >= size or asked == total:
            cache.store(conn, KIND, pending, batch_id=batch.batch_id)
            pending = []
            log.info("batch %d: line types %d of %d asked (%d answered) in %.1f s", batch.batch_id, asked, total,
                     answered, time.monotonic() - started)
    return reason


def _record(conn: duckdb.DuckDBPyConnection, batch: Batch, settings: dict[str, Any], parameters: dict[str, Any],
            reason: str | None) -> LookupCounts:
    numbers, looked_up, from_cache, unavailable = warehouse.run(conn, "lookup/line_type_counts",
                                                                **parameters).fetchone()
    action = settings["unavailable"] if unavailable else None
    counts = LookupCounts(settings["provider"], numbers, looked_up, from_cache, unavailable, action,
                          (reason or "no answer") if unavailable else None)
    with warehouse.transaction(conn):
        warehouse.run(conn, "lookup/batch_lookups_delete", batch_id=batch.batch_id, kind=KIND)
        warehouse.run(conn, "lookup/batch_lookups_insert", batch_id=batch.batch_id, kind=KIND,
                      provider=counts.provider, numbers=numbers, looked_up=looked_up, from_cache=from_cache,
                      unavailable=unavailable, action=action, reason=counts.reason, now=now_utc())
    log.info("batch %d: line types for %d numbers: %d looked up, %d from the cache, %d unanswered%s",
             batch.batch_id, numbers, looked_up, from_cache, unavailable,
             f" ({counts.reason}; policy: {action})" if unavailable else "")
    return counts


def batch_counts(conn: duckdb.DuckDBPyConnection, batch_id: int) -> list[dict[str, Any]]:
    """The batch's lookup counts by kind (`ops.batch_lookups`), for summaries and reports."""
    return warehouse.fetch_dicts(conn, "lookup/batch_lookups", batch_id=batch_id)


def hold_reason(conn: duckdb.DuckDBPyConnection, batch_id: int) -> str | None:
    """Why the policy holds the batch for its lookups ("line types unknown for 3 of 10 numbers
    ..."), or None."""
    for row in batch_counts(conn, batch_id):
        if row["kind"] == KIND and row["unavailable"] and row["action"] == "hold":
            return (f"line types unknown for {row['unavailable']} of {row['numbers']} numbers: the lookup "
                    f"provider ({row['provider']}) did not answer ({row['reason']}); the policy holds such a batch")
    return None


def hold_if_unanswered(conn: duckdb.DuckDBPyConnection, batch: Batch, verdict: Verdict) -> Verdict:
    """The gate validated a batch whose line types the provider left unanswered under
    `unavailable: hold`: hold it for a reviewer instead, with the reason."""
    if verdict.decision != "validated" or batch.status != "checked":
        return verdict
    reason = hold_reason(conn, batch.batch_id)
    if reason is None:
        return verdict
    record_decision(conn, batch, "awaiting_review", "lookup", reason)
    log.warning("batch %d: %s", batch.batch_id, reason)
    return replace(verdict, decision="awaiting_review", failed_review=(*verdict.failed_review, reason))
