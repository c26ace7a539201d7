"""Length bounds on the free-text cells of a provider's export or a touch-up file.

A cell read from a file may be up to the CSV reader's field limit (1 MiB, optline.intake.readers).
None of these cells is legitimately more than a few dozen characters, and some become names kept
for good (a list, a tag, a consent source), so each kind bounds its cells before anything is
parsed or stored: an overlong cell is dropped (never stored, in full or in part) and its row gets
the read issue `field_too_long` (invalid or rejected, like any read issue), unless it already has one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FIELD_TOO_LONG = "field_too_long"
PHONE_CHARS = 64  # a number with its formatting, an extension, a `whatsapp:` prefix
TIME_CHARS = 64  # a timestamp in any spelling the readers accept
NAME_CHARS = 255  # a list, tag or source name (the contact import's text field limit)


def bounded(row: Mapping[str, Any], limits: Mapping[str, int], *,
            issue: str = FIELD_TOO_LONG) -> dict[str, Any]:
    """A copy of `row` without the cells longer than their `limits` (column -> characters);
    when one was dropped and the row had no `read_issue`, its `read_issue` is `issue`."""
    out = dict(row)
    dropped = False
    for column, limit in limits.items():
        value = out.get(column)
        if isinstance(value, str) and len(value) > limit:
            out[column] = None
            dropped = True
    if dropped and not out.get("read_issue"):
        out["read_issue"] = issue
    return out
