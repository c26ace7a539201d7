"""An audience for another tool: a list's sendable members as CSV or Parquet, every export recorded.

`export_audience(conn, list_name, out, fmt, ...)` writes the members of one list that
`marts.audiences` lets be messaged (not suppressed on the membership's channel by the consent
ledger, not suspended): by default the `active` ones (confirmed), with `include_pending` the
`pending` ones too. Each row: list_name, channel, status, contact_id, phone, then the chosen
`ATTRIBUTES` and, with `tags`, the contact's tags (CSV: joined with `;`; Parquet: a list).

- The number is masked (`•••…23`) unless `unmasked`, which only an OS account allowed to
  `export` (config/access.yaml, `optline.access`) may ask for; the caller passes who it is.
- Written by DuckDB's COPY (`sql/exports/copy/audience_{csv,parquet}.sql`) to a hidden file
  beside `out`, created owner-only (0600), renamed to `out` once whole; its sha256 is taken.
- Every export is recorded in `ops.audience_exports` (who, when, list, channel, statuses,
  attributes, tags, masked or not, format, file, sha256, rows), also an empty one.
- A CSV's text cells that a spreadsheet would run as a formula are prefixed with a quote.

No date of birth, address line or alternate number is exportable: they are not needed to
message someone, and the file leaves the warehouse's protection.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from optline import warehouse

log = logging.getLogger(__name__)

COPIES = {"csv": "exports/copy/audience_csv", "parquet": "exports/copy/audience_parquet"}
FORMATS = tuple(COPIES)
CHANNELS = ("sms", "whatsapp")
BASE_COLUMNS = ("list_name", "channel", "status", "contact_id", "phone")
ATTRIBUTES = ("first_name", "last_name", "email", "title", "company", "city", "state", "postcode", "region",
              "number_type")
"""What may be written beside the number (sql/exports/audience_rows_create.sql)."""


class AudienceExportError(ValueError):
    """An export that cannot be written as asked; the message says what to do instead."""


@dataclass(frozen=True)
class AudienceExport:
    path: Path
    list_name: str
    rows: int
    masked: bool
    sha256: str
    columns: tuple[str, ...]


def columns_for(attributes: list[str] | tuple[str, ...], tags: bool) -> tuple[str, ...]:
    """The file's columns, or AudienceExportError naming the attributes that may be asked for."""
    unknown = [a for a in attributes if a not in ATTRIBUTES]
    if unknown:
        raise AudienceExportError(f"no attribute {', '.join(unknown)} to export: choose from {', '.join(ATTRIBUTES)}")
    return (*BASE_COLUMNS, *dict.fromkeys(attributes), *(("tags",) if tags else ()))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def export_audience(conn: duckdb.DuckDBPyConnection, list_name: str, out: Path, fmt: str, *, exported_by: str,
                    channel: str | None = None, attributes: tuple[str, ...] = (), tags: bool = False,
                    unmasked: bool = False, include_pending: bool = False,
                    now: dt.datetime | None = None) -> AudienceExport:
    """Write the list's sendable members to `out` and record the export (see the module)."""
    if fmt not in FORMATS:
        raise AudienceExportError(f"the format is csv or parquet, not {fmt!r}")
    if channel is not None and channel not in CHANNELS:
        raise AudienceExportError(f"the channel is sms or whatsapp (or none: every channel), not {channel!r}")
    columns = columns_for(attributes, tags)
    found = warehouse.run(conn, "exports/list_name", list_name=list_name).fetchone()
    if found is None:
        raise AudienceExportError(f"no list {list_name!r} in the warehouse: "
                                  "`optline query \"select name from core.lists\"` lists them")
    statuses = ["active", "pending"] if include_pending else ["active"]
    out = Path(out).absolute()
    if not out.parent.is_dir():
        raise AudienceExportError(f"{out.parent} is no folder: create it first, or write elsewhere")
    partial = out.with_name(f".{out.name}.partial")
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))  # owner-only before COPY writes
    mask = os.umask(0o077)  # and whatever COPY creates
    try:
        warehouse.run(conn, "exports/audience_rows_create", list_name=found[0], channel=channel, statuses=statuses,
                      unmasked=unmasked)
        try:
            (rows,) = warehouse.run(conn, COPIES[fmt], columns=list(columns),
                                    path=str(partial)).fetchone()
        finally:
            warehouse.run(conn, "exports/audience_rows_drop")
        os.chmod(partial, 0o600)
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        os.umask(mask)
    sha256 = _sha256(out)
    warehouse.run(conn, "exports/audience_export_insert", exported_at=now or dt.datetime.now(dt.UTC),
                  exported_by=exported_by, list_name=found[0], channel=channel, statuses=statuses,
                  attributes=[c for c in columns if c in ATTRIBUTES], with_tags=tags, masked=not unmasked,
                  file_format=fmt, file_path=str(out), file_sha256=sha256, rows_written=rows)
    log.info("audience export of a list by %s: %d rows, %s, masked=%s", exported_by, rows, fmt, not unmasked)
    return AudienceExport(path=out, list_name=found[0], rows=rows, masked=not unmasked, sha256=sha256,
                          columns=columns)
