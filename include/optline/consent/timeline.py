"""A number's consent timeline, for a compliance reviewer: everything that happened to it, newest first.

`timeline(conn, number)` finds the number through its keyed HMAC (the ledger's name for it,
which outlives a deletion) and its E.164 form, and gathers one entry per fact from
`sql/timeline/*.sql`: every consent event (with who recorded it by hand, or its file and line),
list membership, confirmation, message queued, provider call, delivery report, text received
and suspension. Each entry names its source: the batch, the file and the line in it (through
`ops.batch_files` and `staging.row_lines`), so the reviewer can open the file and point at the
line. No message body and no other number appears; the number asked for is shown in full in
the header only. `format_table` / `as_json` render it for `optline history`; the plugin's
`/history` page shows the same.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import duckdb

from optline import warehouse
from optline.config import hmac_key
from optline.consent.manual import channels_now, e164_of
from optline.phones import number_hmac
from optline.reports.tables import aligned

SECTIONS = ("timeline/consent_events", "timeline/memberships", "timeline/confirmations", "timeline/messages",
            "timeline/send_attempts", "timeline/delivery_events", "timeline/received_texts",
            "timeline/suspensions")
"""One statement each, the same columns: `COLUMNS`."""
COLUMNS = ("at", "category", "event", "channel", "detail", "recorded_by", "contact_id", "list_name", "batch_id",
           "row_number", "file_name", "line_number")
_OLDEST = dt.datetime.min.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Timeline:
    e164: str
    number_hmac: str
    channels: list[dict[str, Any]]  # consent now, per channel (consent/number_channels.sql)
    entries: list[dict[str, Any]]   # newest first, each with COLUMNS

    def as_dict(self) -> dict[str, Any]:
        return {"number": self.e164, "number_hmac": self.number_hmac, "channels": self.channels,
                "entries": self.entries}


def timeline(conn: duckdb.DuckDBPyConnection, number: str, default_country: str = "US") -> Timeline:
    """Every fact about `number`, newest first (ManualConsentError if it is no valid number)."""
    e164 = e164_of(number, default_country)
    hmac_value = number_hmac(e164, hmac_key())
    entries = [row for name in SECTIONS
               for row in warehouse.fetch_dicts(conn, name, e164=e164, number_hmac=hmac_value)]
    entries.sort(key=lambda r: (r["at"] or _OLDEST, r["category"], r["batch_id"] or 0, r["row_number"] or 0),
                 reverse=True)
    return Timeline(e164=e164, number_hmac=hmac_value, channels=channels_now(conn, hmac_value), entries=entries)


def source_text(entry: dict[str, Any]) -> str:
    """`batch 7 spring.csv line 4`, or what of it is known."""
    parts = [f"batch {entry['batch_id']}" if entry["batch_id"] is not None else "",
             entry["file_name"] or "",
             f"line {entry['line_number']}" if entry["line_number"] is not None else ""]
    return " ".join(p for p in parts if p)


def when_text(at: dt.datetime | None) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S") if at else "unknown"


def state_text(channels: list[dict[str, Any]]) -> str:
    """`sms: opted out since 2026-11-02 10:00:00; whatsapp: may be messaged`."""
    return "; ".join(f"{c['channel']}: " + (f"opted out since {when_text(c['opted_out_at'])}" if c["suppressed"]
                                            else "may be messaged") for c in channels)


def format_table(found: Timeline) -> str:
    """The timeline for people: a header with the number and its consent now, then one line per entry."""
    rows = [[when_text(e["at"]), e["category"], e["event"], e["channel"] or "", e["list_name"] or "",
             e["detail"] or "", e["recorded_by"] or "", source_text(e)] for e in found.entries]
    head = [f"{found.e164} (HMAC {found.number_hmac[:12]}…): {state_text(found.channels)}",
            f"{len(found.entries)} entries, newest first (UTC)"]
    if not rows:
        return "\n".join([*head, "nothing is held about this number"])
    return "\n".join([*head, *aligned(["at", "what", "event", "channel", "list", "detail", "by", "source"], rows)])


def as_json(found: Timeline) -> str:
    return json.dumps(found.as_dict(), indent=2, ensure_ascii=False, default=str)
