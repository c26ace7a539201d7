"""What the optout_import DAG's tasks do: thin adapters from Airflow's context to optline.optouts.

Airflow is imported inside the functions. Tasks pass file paths, batch ids and counts
along XCom, never numbers, names or emails.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from optline.config import paths
from optline.consent import optouts
from optline.tasks.common import discover_in, open_warehouse, run_context, safe_name

log = logging.getLogger(__name__)


def inbox_dir(context: dict[str, Any]) -> Path:
    """The `inbox` param, else OPTLINE_OPTOUT_INBOX, else `$OPTLINE_DATA_DIR/optouts`."""
    chosen = (context.get("params") or {}).get("inbox")
    return Path(chosen) if chosen else optouts.inbox_dir()


def discover_files(context: dict[str, Any]) -> list[dict]:
    return discover_in(inbox_dir(context), "opt-out")


def apply_file(inbox_file: dict, context: dict[str, Any]) -> dict:
    """Apply one file in one transaction; a bad file fails at once, without retries."""
    from airflow.sdk.exceptions import AirflowFailException

    with open_warehouse() as conn:
        try:
            summary = optouts.apply_file(conn, Path(inbox_file["path"]), run_context(context), paths().reports)
        except (*optouts.INPUT_ERRORS, optouts.ReconciliationError) as exc:
            raise AirflowFailException(str(exc)) from exc
    return {"file_name": summary.file_name, "batch_id": summary.batch_id, "status": summary.status,
            "lines_read": summary.lines_read, "matched": summary.matched,
            "suppressed_unmatched": summary.suppressed_unmatched, "invalid": summary.invalid,
            "events_appended": summary.events_appended}


def summarize(files: list[dict], context: dict[str, Any]) -> dict:
    """Print the per-file opt-out summary; fail the run, naming them, if any file was not applied."""
    from airflow.sdk.exceptions import AirflowFailException

    run_id = context.get("run_id")
    reports_root = paths().reports
    with open_warehouse() as conn:
        summaries = [optouts.file_summary(conn, Path(f["path"]), run_id, reports_root) for f in files]
    out = optouts.write_run_summary(summaries, reports_root / "optouts" / "runs" / f"{safe_name(run_id)}.json")
    log.info("Opt-out summary (also in %s):\n%s", out, optouts.format_summary(summaries))
    failed = [s.file_name for s in summaries if s.error]
    if failed:
        raise AirflowFailException(f"{len(failed)} opt-out file(s) were not applied: {', '.join(failed)}")
    return {"files": len(summaries), "applied": sum(s.status == "applied" for s in summaries),
            "already_applied": sum(s.status == "already applied" for s in summaries),
            "matched": sum(s.matched for s in summaries),
            "suppressed_unmatched": sum(s.suppressed_unmatched for s in summaries),
            "invalid": sum(s.invalid for s in summaries),
            "events_appended": sum(s.events_appended for s in summaries)}
