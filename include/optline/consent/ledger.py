"""The consent ledger: append events, read the derived state.

Events are only ever appended (`core.consent_events`); the state per number and channel is
the view `core.consent_state`. Numbers are named by their keyed HMAC, so the ledger holds
no phone number and survives a contact's deletion.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from optline import ids, warehouse
from optline.config import hmac_key
from optline.phones import number_hmac

SCOPES = ("sms", "whatsapp", "all")
KINDS = ("opt_in", "opt_out", "resubscribe")
CHANNELS = ("sms", "whatsapp")


@dataclass(frozen=True)
class Event:
    e164: str
    scope: str
    kind: str
    effective_at: dt.datetime
    source: str
    method: str
    contact_id: int | None = None
    batch_id: int | None = None
    row_number: int | None = None
    dag_id: str | None = None
    run_id: str | None = None

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise ValueError(f"consent scope must be one of {SCOPES}, not {self.scope!r}")
        if self.kind not in KINDS:
            raise ValueError(f"consent kind must be one of {KINDS}, not {self.kind!r}")


def append(conn: duckdb.DuckDBPyConnection, events: list[Event]) -> int:
    """Append events to the ledger (the numbers are HMAC'd here), all or none, their ids in the
    order given (`optline.ids`). Returns how many."""
    key = hmac_key()
    with warehouse.atomic(conn):
        for e in events:
            ids.insert_one(conn, "consent/consent_event_insert", "consent_event_id",
                           number_hmac=number_hmac(e.e164, key), scope=e.scope, kind=e.kind,
                           effective_at=e.effective_at, source=e.source, method=e.method, contact_id=e.contact_id,
                           batch_id=e.batch_id, row_number=e.row_number, dag_id=e.dag_id, run_id=e.run_id)
    return len(events)


def is_suppressed(conn: duckdb.DuckDBPyConnection, e164: str, channel: str) -> bool:
    """Whether the number may not be messaged on the channel, now."""
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {CHANNELS}")
    row = warehouse.run(conn, "consent/number_suppressed", number_hmac=number_hmac(e164, hmac_key()),
                        channel=channel).fetchone()
    return bool(row and row[0])
