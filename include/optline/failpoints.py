"""Crash points for the kill tests: the process kills itself (SIGKILL) at a named point.

TEST ONLY. `OPTLINE_CRASH_AT=<point>` (read by `config.crash_at`) makes `reached(<point>)`
send SIGKILL to this very process: no `finally`, no rollback, no flush, exactly what a
`kill -9` or the kernel's OOM killer does, but at a known line instead of a guessed moment.
Unset (every deployment), `reached` is one dictionary look-up and nothing happens.

Each point is a `reached("<name>")` call at its place: right after a commit, or inside a
transaction before its commit.

tests/optline/contacts/test_import_kills.py and tests/dags/test_contact_import_kills.py kill
the real `optline import` and the real DAG at each point and re-run them.
"""

from __future__ import annotations

import os
import signal

from optline.config import ConfigError, crash_at

# point -> where it is (what has been committed when the process dies there)
POINTS: dict[str, str] = {
    "before_migrate": "`optline import`, before the warehouse is opened (a new warehouse: no file yet)",
    "after_migrate": "`optline import`, the warehouse opened and migrated, nothing staged",
    "during_stage": "staging, its first chunk of rows committed (batch status staging), the rest not yet",
    "after_stage_commit": "staging committed (status staged), before the row rules",
    "during_normalize": "the row rules, phones parsed and committed, before the verdicts",
    "after_check_commit": "the row rules committed (status checked), before rejects.csv is written",
    "during_validate": "the gate's transaction, results stored, before its decision and commit",
    "after_validate_commit": "the gate's decision committed, before the review report is written",
    "during_merge": "the merge's transaction, every merge step run, before the batch is marked merged",
    "after_merge_commit": "the merge committed (status merged), before the review report says so",
}
def armed() -> str | None:
    """The point OPTLINE_CRASH_AT names (None when unset); an unknown name is a ConfigError."""
    point = crash_at()
    if point is not None and point not in POINTS:
        raise ConfigError(f"OPTLINE_CRASH_AT={point!r} is no crash point; the points are {', '.join(POINTS)} "
                          "(test-only: unset it outside the kill tests)")
    return point


def reached(point: str) -> None:
    """SIGKILL this process if OPTLINE_CRASH_AT names `point`."""
    if point not in POINTS:
        raise ValueError(f"unknown crash point {point!r}: add it to optline.failpoints.POINTS")
    if armed() == point:
        _die()


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)
