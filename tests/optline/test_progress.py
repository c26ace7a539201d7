"""Long work says how far it is: a log line every few seconds while it runs, counts only."""

from __future__ import annotations

import logging
import time

from optline import progress


def test_a_long_step_logs_its_progress_while_it_runs_even_inside_one_call(caplog) -> None:
    caplog.set_level(logging.INFO, logger="optline.progress")
    with progress.Progress("batch 7: merging", 4, "steps", every=0.1) as shown:
        shown.advance(1)
        time.sleep(0.35)  # one long statement: the timer still reports
    lines = [r.getMessage() for r in caplog.records if r.name == "optline.progress"]
    assert len(lines) >= 2
    assert lines[0].startswith("batch 7: merging: 1 of 4 steps (25 %) after ")


def test_progress_is_silent_for_work_shorter_than_its_interval(caplog) -> None:
    caplog.set_level(logging.INFO, logger="optline.progress")
    with progress.Progress("batch 7: staging", None, "rows", every=5) as shown:
        shown.advance(1000)
    assert [r for r in caplog.records if r.name == "optline.progress"] == []
    assert shown.line().startswith("batch 7: staging: 1,000 rows after ")
