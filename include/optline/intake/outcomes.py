"""What became of the lines read: a count per outcome, and the check that they add up to the
lines read before anything is committed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from optline.intake.errors import ReconciliationError


def count_outcomes(rows: Iterable[Mapping[str, Any]], outcomes: Sequence[str], count: str) -> dict[str | None, int]:
    """Lines per outcome from rows of (`outcome`, `count`), every one of `outcomes` present; a
    row with another outcome (None: a line left without one) is counted under it."""
    counts: dict[str | None, int] = dict.fromkeys(outcomes, 0)
    for row in rows:
        counts[row["outcome"]] = counts.get(row["outcome"], 0) + row[count]
    return counts


def outcome_sum(counts: Mapping[str | None, int], outcomes: Sequence[str]) -> str:
    """`3 applied + 1 ignored + 0 invalid`: the counts of `outcomes`, in that order."""
    return " + ".join(f"{counts[o]} {o}" for o in outcomes)


def reconcile_lines(file_name: str, lines_read: int, counts: Mapping[str | None, int], outcomes: Sequence[str]) -> None:
    """lines read = the sum of the `outcomes`' counts, or ReconciliationError (nothing is applied)."""
    if sum(counts[o] for o in outcomes) != lines_read:
        raise ReconciliationError(f"{file_name}: read {lines_read} lines but {outcome_sum(counts, outcomes)}; "
                                  "nothing applied")
