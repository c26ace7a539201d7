"""The outbox: what Optline means to send, queued once per idempotency key.

- `enqueue_welcomes`: every pending membership (an imported number not yet confirmed) gets
  one welcome per list and number, asking it to confirm (reply YES). Run after each merged
  import (the `welcome_messages` DAG is scheduled on the memberships Asset). The inbound
  exports queue help replies and keyword auto-welcomes themselves (`optline.inbound`).
- `conversion`: per import, imported → messaged → confirmed, and the rate.

Sending is `optline.dispatch`. Only counts leave this module (logs, XCom): never a number,
a name or a body.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from optline import ids, warehouse
from optline.config import link_key
from optline.intake.chunks import registered
from optline.lookup.reassigned import screen_welcomes
from optline.messaging import links
from optline.messaging.settings import WelcomeSettings

log = logging.getLogger(__name__)

_WELCOME_COLUMNS = ("idempotency_key", "list_id", "channel", "contact_id", "e164", "number_hmac", "batch_id",
                    "template", "body", "link_id", "link_expires_at")


@dataclass(frozen=True)
class EnqueueResult:
    queued: int
    by_list: dict[str, int]
    # Welcomes not queued because the body would be over settings.MAX_BODY_CHARS, per list
    # (a list name too long for its template): looked at again each run until it is shortened.
    refused: dict[str, int] = field(default_factory=dict)

    def as_xcom(self) -> dict[str, Any]:
        return asdict(self)


def enqueue_welcomes(conn: duckdb.DuckDBPyConnection, welcome: WelcomeSettings, now: dt.datetime) -> EnqueueResult:
    """Queue the welcome of every pending list × number that has none yet (one transaction).
    Running it again queues nothing new. A template with `{confirm_url}` gets a new link per
    welcome (messaging.links), expiring `link_ttl_days` after `now`; its id and expiry are
    stored with the welcome, the token only inside the body."""
    key = link_key() if welcome.uses_links() else None  # a missing key: ConfigError before anything
    screen_welcomes(conn, now)  # reassigned numbers' welcomes cancelled first (optline.lookup.reassigned)
    candidates = warehouse.fetch_dicts(conn, "messaging/welcome_candidates")
    if not candidates:
        log.info("no pending member without a welcome: nothing queued")
        return EnqueueResult(0, {})
    columns: dict[str, list] = {c: [] for c in _WELCOME_COLUMNS}
    by_list: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    for row in candidates:
        template = welcome.template_for(row["list_name"])
        row["template"] = template
        link = links.issue(key, now + welcome.link_ttl()) if key and welcome.uses_link(template) else None
        row["link_id"], row["link_expires_at"] = (link.link_id, link.expires_at) if link else (None, None)
        try:
            row["body"] = welcome.render(template, first_name=row["first_name"], list_name=row["list_name"],
                                         confirm_url=f"{welcome.confirm_base_url}{link.token}" if link else None)
        except ValueError as exc:  # over MAX_BODY_CHARS: refused, never truncated
            if not refused:
                log.warning("%s: not queued; shorten the list name or its template in config/messaging.yaml", exc)
            refused[row["list_name"]] += 1
            continue
        for c in _WELCOME_COLUMNS:
            columns[c].append(row[c])
        by_list[row["list_name"]] += 1
    if refused:
        log.warning("refused %d over-long welcome(s): %s", sum(refused.values()),
                    ", ".join(f"{name} {n}" for name, n in sorted(refused.items())))
    queued = sum(by_list.values())
    if not queued:
        return EnqueueResult(0, {}, dict(sorted(refused.items())))
    types = {"list_id": pa.int64(), "contact_id": pa.int64(), "batch_id": pa.int64(),
             "link_expires_at": pa.timestamp("us", tz="UTC")}
    table = pa.table({c: pa.array(v, types.get(c, pa.string())) for c, v in columns.items()})
    with warehouse.transaction(conn), registered(conn, "welcomes_rendered", table):
        ids.insert(conn, "messaging/outbox_insert_welcomes", "outbox_id", now=now)
    log.info("queued %d welcome(s): %s", queued,
             ", ".join(f"{name} {n}" for name, n in sorted(by_list.items())))
    return EnqueueResult(queued, dict(sorted(by_list.items())), dict(sorted(refused.items())))


def status_counts(conn: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Messages per kind, status and reason."""
    return warehouse.fetch_dicts(conn, "messaging/outbox_status_counts")


def conversion(conn: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """One row per contact import: imported, waiting, messaged, not_messaged, confirmed, rates,
    and the confirmed by way: confirmed_by_reply, confirmed_by_link, confirmed_by_number."""
    return warehouse.fetch_dicts(conn, "messaging/import_conversion")


def format_conversion(rows: list[dict[str, Any]]) -> str:
    """The conversion report as a text table, for people."""
    if not rows:
        return "no contact import has added pending members yet"
    header = ("batch", "file", "imported", "waiting", "messaged", "not sent", "confirmed", "rate", "of messaged",
              "by link")
    lines = [header]
    for r in rows:
        of_messaged = "" if r["confirmed_of_messaged"] is None else f"{float(r['confirmed_of_messaged']):.0%}"
        lines.append((str(r["batch_id"]), r["file_name"], str(r["imported"]), str(r["waiting"]), str(r["messaged"]),
                      str(r["not_messaged"]), str(r["confirmed"]), f"{float(r['conversion_rate']):.0%}", of_messaged,
                      str(r["confirmed_by_link"])))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = ["  ".join(cell.ljust(w) if i == 1 else cell.rjust(w) for i, (cell, w) in enumerate(zip(line, widths)))
           for line in lines]
    out.append("rate = confirmed / imported; of messaged = confirmed among those whose welcome was sent; "
               "by link = confirmed with the welcome's confirmation link")
    return "\n".join(out)


def format_status(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "the outbox is empty"
    return "\n".join(f"{r['kind']:<8} {r['status']:<10} {r['status_reason'] or '':<16} {r['messages']:>7}"
                     for r in rows)


def write_conversion_report(conn: duckdb.DuckDBPyConnection, reports_dir: Path) -> Path:
    """`reports/messaging/conversion.csv`: the conversion per import (counts only)."""
    rows = conversion(conn)
    target = reports_dir / "messaging" / "conversion.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    columns = ("batch_id", "file_name", "merged_at", "imported", "waiting", "messaged", "not_messaged", "confirmed",
               "conversion_rate", "confirmed_of_messaged", "confirmed_by_reply", "confirmed_by_link",
               "confirmed_by_number")
    with target.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for r in rows:
            writer.writerow(["" if r[c] is None else (r[c].isoformat() if isinstance(r[c], dt.datetime) else r[c])
                             for c in columns])
    return target
