"""`ops.number_lookups`: the providers' answers by number HMAC and kind, asked again once older
than the policy's `max_age_days`. One row per number and kind (a new answer replaces the old).

A reassigned-number answer holds for the date it was asked about: "no" since D also answers
any later consent date (nothing was disconnected after D, so none after a later one either),
"yes" since D also answers any earlier one; another date is asked again (`answers_for`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import duckdb
import pyarrow as pa

from optline import warehouse
from optline.intake.chunks import registered
from optline.lookup.base import Answer, Request

_COLUMNS = {"number_hmac": pa.string(), "provider": pa.string(), "line_type": pa.string(),
            "carrier_name": pa.string(), "reassigned": pa.string(), "verified_date": pa.date32(),
            "error_code": pa.string(), "checked_at": pa.timestamp("us", tz="UTC"), "batch_id": pa.int64(),
            "source": pa.string()}


def fresh_since(max_age_days: float, now: dt.datetime) -> dt.datetime:
    """The oldest `checked_at` still fresh under the policy's max age."""
    return now - dt.timedelta(days=max_age_days)


def store(conn: duckdb.DuckDBPyConnection, kind: str, answered: Sequence[tuple[Request, Answer]], *,
          batch_id: int | None = None, source: str | None = None) -> int:
    """Write the answered requests of one kind (unavailable ones are not answers), replacing
    their numbers' earlier answers; one transaction. Returns how many were written."""
    rows = [(request, answer) for request, answer in answered if answer.answered]
    if not rows:
        return 0
    values: dict[str, list[Any]] = {
        "number_hmac": [r.number_hmac for r, _ in rows], "provider": [a.provider for _, a in rows],
        "line_type": [a.line_type for _, a in rows], "carrier_name": [a.carrier_name for _, a in rows],
        "reassigned": [a.reassigned for _, a in rows], "verified_date": [a.verified_date for _, a in rows],
        "error_code": [a.error_code for _, a in rows], "checked_at": [a.checked_at for _, a in rows],
        "batch_id": [batch_id] * len(rows), "source": [source] * len(rows),
    }
    table = pa.table({c: pa.array(values[c], t) for c, t in _COLUMNS.items()})
    with warehouse.transaction(conn), registered(conn, "lookup_answers", table):
        warehouse.run(conn, "lookup/answers_delete", kind=kind)
        warehouse.run(conn, "lookup/answers_insert", kind=kind)
    return len(rows)


def reassigned_answer_holds(cached: dict[str, Any], since: dt.date, fresh_from: dt.datetime) -> bool:
    """Does a cached reassigned-number answer (asked about `verified_date`) answer the consent
    date `since`, and is it fresh?"""
    if cached["checked_at"] < fresh_from or cached["verified_date"] is None:
        return False
    asked = cached["verified_date"]
    return (asked == since or (cached["reassigned"] == "no" and since >= asked)
            or (cached["reassigned"] == "yes" and since <= asked))


def answers_for(conn: duckdb.DuckDBPyConnection, kind: str, number_hmacs: Sequence[str]) -> dict[str, dict]:
    """number_hmac -> its cached answer of `kind` (provider, line_type, reassigned, verified_date, checked_at)."""
    if not number_hmacs:
        return {}
    return {row["number_hmac"]: row for row in warehouse.fetch_dicts(
        conn, "lookup/answers_for_numbers", kind=kind, number_hmacs=list(number_hmacs))}
