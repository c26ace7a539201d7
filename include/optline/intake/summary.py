"""How the files of a run stand, told the same way for every kind of input: a plain-text
table for the log, the run's summary file, and times as the reports write them."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol


class Summarized(Protocol):
    def as_dict(self) -> dict: ...


def format_table(head: Sequence[str], rows: Iterable[Sequence[str]], *, right_from: int | None = None) -> list[str]:
    """The lines of a plain-text table: the head, a rule of dashes, one line per row. Columns are
    padded to their widest cell, left-aligned (from the column `right_from` on, right-aligned)
    and two spaces apart; no line ends in a space."""
    table = [tuple(head), *(tuple(r) for r in rows)]
    widths = [max(len(r[i]) for r in table) for i in range(len(head))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if right_from is not None and i >= right_from else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return [line(table[0]), line(["-" * w for w in widths]), *(line(r) for r in table[1:])]


def write_run_summary(summaries: Iterable[Summarized], path: Path) -> Path:
    """The run's summaries, one JSON object per file, at `path` (its folder made if missing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([s.as_dict() for s in summaries], indent=2), encoding="utf-8")
    return path


def iso_utc(value: dt.datetime | None) -> str:
    """A time as a report shows it: ISO 8601 in UTC; no time, an empty text."""
    return value.astimezone(dt.UTC).isoformat() if value else ""
