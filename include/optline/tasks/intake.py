"""What the tasks of every inbox kind share (opt-outs, inbound texts, web confirmations): the
folder a run reads, and applying one file of it with the kind's `apply_file`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import duckdb
from airflow.sdk.exceptions import AirflowFailException

from optline.config import paths
from optline.intake.errors import INPUT_ERRORS
from optline.lineage import Step
from optline.runs import RunContext
from optline.tasks import lineage
from optline.tasks.common import open_warehouse


class Result(Protocol):
    def as_xcom(self) -> dict: ...


ApplyFile = Callable[[duckdb.DuckDBPyConnection, Path, RunContext, Path], Result]


def chosen_inbox(context: dict[str, Any], default: Path) -> Path:
    """The run's `inbox` param, else `default` (the kind's `inbox()`)."""
    chosen = (context.get("params") or {}).get("inbox")
    return Path(chosen) if chosen else default


def apply_inbox_file(apply: ApplyFile, inbox_file: dict, run: RunContext, *, step: Step,
                     fail_on: tuple[type[Exception], ...] = INPUT_ERRORS) -> dict:
    """Apply one discovered file (one transaction) and return its result's XCom; an error of
    `fail_on` (the file or its manifest: a person must fix it) fails the task at once, no retry.
    The task's lineage: the file and `step` (its tables; none written for a file applied before)."""
    with open_warehouse() as conn:
        try:
            result = apply(conn, Path(inbox_file["path"]), run, paths().reports)
        except fail_on as exc:
            raise AirflowFailException(str(exc)) from exc
    out = result.as_xcom()
    again = out.get("already_imported") or out.get("status") == "already applied"
    lineage.record(step, files=[Path(inbox_file["path"])], outputs=not again)
    return out
