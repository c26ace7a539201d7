"""Possible revocations decided by a person: list the undecided, decide one (once).

An inbound text that may mean "stop" but may not ("not interested", "who is this?") is held
by `optline.consent.inbound` (outcome `review`, reason `possible_revocation`). A reviewer (the
operating-system account, `optline.access` action `review`) decides each one, named by its
batch and row, in `ops.revocation_decisions` (append-only: a message is decided once):

- `opt_out`: an `opt_out` consent event (method `reviewed_revocation`, scope the message's
  channel, effective at the decision), so the number leaves every audience at once;
- `not_revocation`: nothing is appended; the number keeps its consent.

The FCC's clock (10 business days, `optline.consent.businessdays`) runs from the receipt.
Rows carry masked numbers only; no number or message body is logged.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import duckdb

from optline import access, ids, warehouse
from optline.consent.businessdays import FCC_OPT_OUT_LIMIT, business_days_between
from optline.consent.inbound import NEAR_LIMIT_DAYS, decide_by
from optline.masking import mask_phone

log = logging.getLogger(__name__)

DECISIONS = ("opt_out", "not_revocation")
METHOD = "reviewed_revocation"  # the consent event's method for a decided opt_out


class RevocationDecisionError(ValueError):
    """A decision that cannot be recorded; the message says what to do instead."""


class NotAPossibleRevocation(RevocationDecisionError):
    """No held possible revocation has this batch and row."""


class AlreadyDecided(RevocationDecisionError):
    """The message was decided before; a decision is never changed."""


@dataclass(frozen=True)
class Decided:
    """One recorded decision (no number, no message body)."""
    batch_id: int
    row_number: int
    decision: str
    decided_by: str
    decided_at: dt.datetime
    business_days: int  # from receipt (else the file's application) to the decision
    events_appended: int


def _clock_start(received: dt.datetime | None, applied: dt.datetime) -> dt.datetime:
    """The receipt, unless unreadable or later than the file's application (then that)."""
    return received if received is not None and received <= applied else applied


def _clock(days: int) -> str:
    if days > FCC_OPT_OUT_LIMIT:
        return "over_limit"
    return "near_limit" if days >= FCC_OPT_OUT_LIMIT - NEAR_LIMIT_DAYS else "ok"


def _now(now: dt.datetime | None) -> dt.datetime:
    now = now or dt.datetime.now(dt.UTC)
    return now if now.tzinfo else now.replace(tzinfo=dt.UTC)


def list_undecided(conn: duckdb.DuckDBPyConnection, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Every undecided possible revocation, oldest first: batch_id, row_number, line_number,
    number (masked), rule, scope, received_at, business_days elapsed to `now`, decide_by
    (the date the 10th business day ends) and clock (ok | near_limit | over_limit)."""
    now = _now(now)
    rows = []
    for row in warehouse.fetch_dicts(conn, "revocations/undecided"):
        start = _clock_start(row["received_at"], row["applied_at"])
        days = business_days_between(start, now)
        rows.append({"batch_id": row["batch_id"], "row_number": row["row_number"],
                     "line_number": row["line_number"], "number": mask_phone(row.pop("e164")),
                     "rule": row["rule"], "scope": row["scope"], "received_at": row["received_at"],
                     "business_days": days, "decide_by": decide_by(start), "clock": _clock(days)})
    return rows


def due_reminders(conn: duckdb.DuckDBPyConnection, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The undecided possible revocations whose clock reached `near_limit` or `over_limit` and
    that the reviewers were not yet told about at that level (rows as `list_undecided`)."""
    told = {tuple(r) for r in warehouse.run(conn, "revocations/reminders_told").fetchall()}
    return [r for r in list_undecided(conn, now)
            if r["clock"] != "ok" and (r["batch_id"], r["row_number"], r["clock"]) not in told]


def record_reminders(conn: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]], now: dt.datetime) -> None:
    """Remember that the reviewers were told about `rows` at their clock level (one transaction)."""
    with warehouse.transaction(conn):
        for r in rows:
            warehouse.run(conn, "revocations/reminder_insert", batch_id=r["batch_id"], row_number=r["row_number"],
                          clock=r["clock"], told_at=now)


def decide(conn: duckdb.DuckDBPyConnection, batch_id: int, row_number: int, decision: str, *,
           note: str | None = None, now: dt.datetime | None = None,
           settings: access.AccessSettings | None = None) -> Decided:
    """Record a reviewer's decision on one possible revocation, in one transaction.

    Who decides is this process's operating-system account, which must be a reviewer
    (`access.require("review")`, else AccessDenied naming the settings file); never a typed
    name. Raises NotAPossibleRevocation or AlreadyDecided (nothing written)."""
    if decision not in DECISIONS:
        raise ValueError(f"a decision is opt_out or not_revocation, not {decision!r}")
    decided_by = access.require("review", settings)
    decided_at = _now(now)
    with warehouse.transaction(conn):
        held = warehouse.fetch_dicts(conn, "revocations/held_message", batch_id=batch_id, row_number=row_number)
        if not held:
            raise NotAPossibleRevocation(
                f"batch {batch_id} row {row_number} is not a possible revocation held for review; "
                "`optline revocations` lists the ones waiting (as BATCH:ROW)")
        message = held[0]
        if message["decision"] is not None:
            raise AlreadyDecided(
                f"batch {batch_id} row {row_number} was already decided {message['decision']} by "
                f"{message['decided_by']} at {message['decided_at'].isoformat()}; a decision is never changed "
                "(to opt the number out now, record an opt-out for it; to opt it back in, the number texts START)")
        if decision == "opt_out" and message["number_hmac"] is None:
            raise RevocationDecisionError(
                f"batch {batch_id} row {row_number} has no readable sender number, so no opt-out can be "
                "recorded for it; decide it not_revocation and record the opt-out another way")
        warehouse.run(conn, "revocations/decision_insert", batch_id=batch_id, row_number=row_number,
                      decision=decision, decided_by=decided_by, note=note, decided_at=decided_at)
        appended = 0
        if decision == "opt_out":
            appended = len(ids.insert(conn, "revocations/consent_event_insert", "consent_event_id",
                                      batch_id=batch_id, row_number=row_number, decided_at=decided_at))
    days = business_days_between(_clock_start(message["received_at"], message["applied_at"]), decided_at)
    log.info("possible revocation batch %d row %d decided %s by %s, %d business day(s) after receipt",
             batch_id, row_number, decision, decided_by, days)
    return Decided(batch_id=batch_id, row_number=row_number, decision=decision, decided_by=decided_by,
                   decided_at=decided_at, business_days=days, events_appended=appended)
