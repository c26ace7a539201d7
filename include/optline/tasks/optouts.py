"""What the optout_import DAG's tasks do: thin adapters from Airflow's context to
optline.consent.optouts.

Tasks pass file paths, batch ids and counts along XCom, never numbers, names or emails.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from airflow.sdk.exceptions import AirflowFailException

from optline import lineage
from optline.config import paths
from optline.consent import optouts
from optline.intake.errors import INPUT_ERRORS, ReconciliationError
from optline.intake.summary import write_run_summary
from optline.tasks.common import discover_in, open_warehouse, run_context, safe_name
from optline.tasks.intake import apply_inbox_file, chosen_inbox

log = logging.getLogger(__name__)


def discover_files(context: dict[str, Any]) -> list[dict]:
    """The files waiting in the `inbox` param's folder, else in OPTLINE_OPTOUT_INBOX /
    `$OPTLINE_DATA_DIR/optouts`."""
    return discover_in(chosen_inbox(context, optouts.inbox()), "opt-out")


def apply_file(inbox_file: dict, context: dict[str, Any]) -> dict:
    """Apply one file in one transaction at the run's clock; a bad file fails at once, without retries."""
    return apply_inbox_file(optouts.apply_file, inbox_file, run_context(context), step=lineage.OPTOUT_APPLY,
                            fail_on=(*INPUT_ERRORS, ReconciliationError))


def summarize(files: list[dict], context: dict[str, Any]) -> dict:
    """Print the per-file opt-out summary; fail the run, naming them, if any file was not applied."""
    run_id = context.get("run_id")
    reports_dir = paths().reports
    with open_warehouse() as conn:
        results = [optouts.file_result(conn, Path(f["path"]), run_id, reports_dir) for f in files]
    out = write_run_summary(results, reports_dir / optouts.KIND / "runs" / f"{safe_name(run_id)}.json")
    log.info("Opt-out summary (also in %s):\n%s", out, optouts.format_summary(results))
    failed = [r.file_name for r in results if r.error]
    if failed:
        raise AirflowFailException(f"{len(failed)} opt-out file(s) were not applied: {', '.join(failed)}")
    return {"files": len(results), "applied": sum(r.status == "applied" for r in results),
            "already_applied": sum(r.status == "already applied" for r in results),
            "matched": sum(r.matched for r in results),
            "suppressed_unmatched": sum(r.suppressed_unmatched for r in results),
            "invalid": sum(r.invalid for r in results),
            "events_appended": sum(r.events_appended for r in results)}
