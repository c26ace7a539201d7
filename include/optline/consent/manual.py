"""Consent by hand: a person opts one number out, or back in at its owner's request (seeds 003, 004).

`record(conn, number, kind, scope, by=..., note=...)` appends one event to the ledger
(`core.consent_events`, method `manual`) with who recorded it as the system knows them (a
`Recorder`: the CLI's OS account, `cli_recorder()`; the plugin's Airflow user) and the note.
Nothing else changes: `marts.audiences` reads the ledger, so the number leaves (or rejoins)
every audience of the channels in scope at once.

- `opt_out` (kind `opt_out`): anyone allowed (`access` action `consent`) may record it, with or
  without a note: a person's request to stop is honoured whatever way it came (FCC: any
  reasonable means).
- `opt_in` (kind `resubscribe`): lifts an opt-out, so it needs the person's own request: a note
  of at least `MIN_EVIDENCE_CHARS` characters saying when and how they asked and where the
  evidence is. An imported opt-in never lifts an opt-out; only the number's START/UNSTOP or
  this does (docs/consent_by_hand.md).
- Nothing is recorded when nothing would change (`NothingToChange`): an opt-out of a number
  suppressed on every channel in scope, an opt-in of one suppressed on none (a second click of
  the same form records nothing).

The number is never logged; the result names it masked.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import duckdb

from optline import access, ids, warehouse
from optline.config import hmac_key
from optline.consent.ledger import CHANNELS, SCOPES
from optline.masking import mask_phone
from optline.phones import number_hmac, parse_phone

log = logging.getLogger(__name__)

KINDS = {"opt_out": "opt_out", "opt_in": "resubscribe"}
"""What a person asks for -> the ledger's kind."""
METHOD = "manual"
MIN_EVIDENCE_CHARS = 10
SOURCES = {"cli": "optline cli", "web": "optline web"}


class ManualConsentError(ValueError):
    """A change that cannot be recorded as asked; the message says what to do instead."""


class NothingToChange(ManualConsentError):
    """The number is already as asked on every channel in scope: nothing was recorded."""


@dataclass(frozen=True)
class Recorder:
    """Who records a change, as the system knows them: never a typed name."""
    name: str  # the OS account, or the Airflow user's name
    id: str    # the OS account again, or the Airflow user id
    via: str   # cli | web


@dataclass(frozen=True)
class Change:
    """One recorded change (the number masked)."""
    event_id: int
    number_masked: str
    kind: str  # opt_out | resubscribe
    scope: str
    effective_at: dt.datetime
    recorded_by: str
    suppressed: dict[str, bool]  # per channel, after the change


def cli_recorder(settings: access.AccessSettings | None = None) -> Recorder:
    """This process's OS account, if it may record consent by hand (`access.require("consent")`)."""
    account = access.require("consent", settings)
    return Recorder(name=account, id=account, via="cli")


def e164_of(number: str, default_country: str = "US") -> str:
    """The number in E.164, or ManualConsentError saying how to give it."""
    e164 = parse_phone(number, default_country).e164
    if not e164:
        raise ManualConsentError(f"that is not a valid phone number (default country {default_country}): give it "
                                 "in E.164 (+1 415 555 0101) or pass the right default country")
    return e164


def channels_now(conn: duckdb.DuckDBPyConnection, hmac_value: str) -> list[dict[str, Any]]:
    """The number's consent per channel now: channel, suppressed, opted_out_at, resubscribed_at, opted_in_at."""
    return warehouse.fetch_dicts(conn, "consent/number_channels", number_hmac=hmac_value)


def _covered(scope: str) -> tuple[str, ...]:
    return CHANNELS if scope == "all" else (scope,)


def _refusal(request: str, scope: str, note: str | None, state: dict[str, bool]) -> ManualConsentError | None:
    covered = _covered(scope)
    if request == "opt_in" and len((note or "").strip()) < MIN_EVIDENCE_CHARS:
        return ManualConsentError(
            "an opt-in by hand lifts an opt-out, so it needs the person's own request: give a note saying when and "
            f"how they asked and where the evidence is (at least {MIN_EVIDENCE_CHARS} characters, e.g. "
            "\"signed form 2026-12-01, ticket 4411\"); nothing was recorded")
    if request == "opt_out" and all(state[c] for c in covered):
        return NothingToChange(f"the number is already opted out on {' and '.join(covered)}: nothing was recorded")
    if request == "opt_in" and not any(state[c] for c in covered):
        return NothingToChange(f"the number is not opted out on {' or '.join(covered)}: nothing to lift, nothing was "
                               "recorded (an opt-in by hand only lifts an opt-out; list membership comes from imports "
                               "and confirmations)")
    return None


def record(conn: duckdb.DuckDBPyConnection, number: str, request: str, scope: str = "all", *, by: Recorder,
           note: str | None = None, default_country: str = "US", now: dt.datetime | None = None) -> Change:
    """Record `request` (opt_out | opt_in) for `number` on `scope` (sms | whatsapp | all) by `by`, in
    one transaction. Raises ManualConsentError (nothing written) when it cannot or need not."""
    if request not in KINDS:
        raise ManualConsentError(f"say opt_out or opt_in, not {request!r}")
    if scope not in SCOPES:
        raise ManualConsentError(f"the channel is one of {', '.join(SCOPES)}, not {scope!r}")
    if by.via not in SOURCES:
        raise ManualConsentError(f"recorded via one of {sorted(SOURCES)}, not {by.via!r}")
    e164 = e164_of(number, default_country)
    hmac_value = number_hmac(e164, hmac_key())
    when = now or dt.datetime.now(dt.UTC)
    when = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    note = (note or "").strip() or None
    with warehouse.transaction(conn):
        before = {r["channel"]: r["suppressed"] for r in channels_now(conn, hmac_value)}
        refusal = _refusal(request, scope, note, before)
        if refusal is not None:
            raise refusal
        event_id = ids.insert_one(conn, "consent/manual_event_insert", "consent_event_id", number_hmac=hmac_value,
                                  scope=scope, kind=KINDS[request], effective_at=when, source=SOURCES[by.via],
                                  dag_id="cli" if by.via == "cli" else None, recorded_by=by.name,
                                  recorded_by_id=by.id, note=note)
        after = {r["channel"]: r["suppressed"] for r in channels_now(conn, hmac_value)}
    log.info("consent by hand: %s on %s recorded by %s via %s (event %d)", KINDS[request], scope, by.name, by.via,
             event_id)
    return Change(event_id=event_id, number_masked=mask_phone(e164), kind=KINDS[request], scope=scope,
                  effective_at=when, recorded_by=by.name, suppressed=after)
