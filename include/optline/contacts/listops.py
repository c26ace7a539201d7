"""List touch-up files: add or remove members and tags, suspend or reactivate numbers.

A CSV with a header: `action`, `phone` and, as the action needs, `list` and `tag`.
Actions: add_member, remove_member (list, phone), add_tag, remove_tag (phone, tag),
suspend, reactivate (phone). Every row ends applied or rejected with a reason; a file
with a bad header fails whole. Numbers must already be in the warehouse (an import brings
them, with their consent evidence); a suspended number leaves every audience until
reactivated.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from optline import warehouse
from optline.config import hmac_key
from optline.intake.fields import field_for_header, header_key
from optline.intake.readers import (
    MalformedFileError,
    detect_delimiter,
    detect_encoding,
    open_text,
    read_delimited,
)
from optline.phones import number_hmac, parse_phone

ACTIONS = {
    "add_member": ("list",), "remove_member": ("list",), "add_tag": ("tag",), "remove_tag": ("tag",),
    "suspend": (), "reactivate": (),
}
STEPS = (
    "listops/lists_insert_new", "listops/memberships_add", "listops/memberships_remove",
    "listops/tags_insert_new", "listops/contact_tags_add", "listops/contact_tags_remove",
    "listops/number_status_events_insert",
)


@dataclass
class ListOpsResult:
    lines_read: int = 0
    applied: Counter = field(default_factory=Counter)
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (row number, reason)


def _columns(header: list[str], file_name: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = header_key(cell)
        name = "phone" if field_for_header(cell) == "phone" else {"action": "action", "list": "list",
                                                                  "listname": "list", "tag": "tag"}.get(key)
        if name and name not in found:
            found[name] = index
    missing = {"action", "phone"} - found.keys()
    if missing:
        raise MalformedFileError(file_name, 1, f"the header needs columns {sorted(missing)} (and list/tag as the "
                                 f"actions need); it has {header}")
    return found


def apply_file(conn: duckdb.DuckDBPyConnection, path: Path, *, default_country: str = "US",
               applied_at: dt.datetime | None = None) -> ListOpsResult:
    """Apply a list-operations file in one transaction."""
    key = hmac_key()
    encoding = detect_encoding(path)
    with open_text(path, encoding) as fh:
        delimiter = detect_delimiter(fh.read(1 << 16)) or ","
    result = ListOpsResult()
    rows: list[dict] = []
    with open_text(path, encoding) as fh:
        records = read_delimited(fh, path.name, delimiter)
        header = next(records, None)
        if header is None:
            raise MalformedFileError(path.name, None, "the file is empty")
        cols = _columns(header[1], path.name)
        for row_number, (_, cells) in enumerate(records, start=1):
            result.lines_read += 1
            cell = {name: (cells[i].strip() if i < len(cells) and cells[i] else "") for name, i in cols.items()}
            action = cell["action"].lower().replace(" ", "_").replace("-", "_")
            if action not in ACTIONS:
                result.rejected.append((row_number, f"unknown action {cell['action']!r}; use one of {sorted(ACTIONS)}"))
                continue
            missing = [need for need in ACTIONS[action] if not cell.get(need)]
            if missing:
                result.rejected.append((row_number, f"{action} needs a {missing[0]} value"))
                continue
            parsed = parse_phone(cell["phone"], default_country) if cell["phone"] else None
            if parsed is None or parsed.e164 is None:
                result.rejected.append((row_number, "invalid_number"))
                continue
            rows.append({"row_number": row_number, "action": action, "list_name": cell.get("list") or None,
                         "e164": parsed.e164, "number_hmac": number_hmac(parsed.e164, key),
                         "tag": cell.get("tag") or None})
    with warehouse.transaction(conn):
        warehouse.run(conn, "listops/operations_create")
        if rows:
            conn.register("listops_rows", pa.Table.from_pylist(rows))
            warehouse.run(conn, "listops/operations_insert")
            conn.unregister("listops_rows")
        unknown = {r for (r,) in warehouse.run(conn, "listops/operations_unknown_numbers").fetchall()}
        warehouse.run(conn, "listops/operations_delete_rows", row_numbers=sorted(unknown))
        for step in STEPS:
            warehouse.run(conn, step, **({"applied_at": applied_at or dt.datetime.now(dt.UTC),
                                           "source": path.name} if step.endswith("status_events_insert") else {}))
        warehouse.run(conn, "listops/operations_drop")
    result.rejected += [(r, "unknown_number: import it first") for r in sorted(unknown)]
    result.applied.update(r["action"] for r in rows if r["row_number"] not in unknown)
    if sum(result.applied.values()) + len(result.rejected) != result.lines_read:
        raise RuntimeError(f"{path.name}: rows read and rows applied/rejected do not add up")
    result.rejected.sort()
    return result
