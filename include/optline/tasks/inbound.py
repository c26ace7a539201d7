"""What the inbound_messages DAG's tasks do: thin adapters from Airflow's context to optline.inbound.

Airflow is imported inside the functions. Tasks pass file paths, batch ids and counts along
XCom, never a number or a message body.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from optline import warehouse
from optline.config import paths
from optline.consent import inbound
from optline.intake.errors import INPUT_ERRORS
from optline.intake.identity import sha256_of
from optline.runs import RunContext
from optline.tasks.common import discover_in, open_warehouse
from optline.tasks.common import run_context as tasks_run_context

log = logging.getLogger(__name__)


def run_context(context: dict[str, Any]) -> RunContext:
    """Opt-outs are applied at the wall clock (or the `as_of` param), not the run's scheduled time."""
    return tasks_run_context(context, wall_clock=True)


def inbox_dir(context: dict[str, Any]) -> Path:
    chosen = (context.get("params") or {}).get("inbox")
    return Path(chosen) if chosen else inbound.inbound_inbox()


def discover_files(context: dict[str, Any]) -> list[dict]:
    return discover_in(inbox_dir(context), "inbound")


def apply_file(inbox_file: dict, context: dict[str, Any]) -> dict:
    from airflow.sdk.exceptions import AirflowFailException

    with open_warehouse() as conn:
        try:
            result = inbound.apply_file(conn, Path(inbox_file["path"]), run_context(context), paths().reports)
        except INPUT_ERRORS as exc:
            raise AirflowFailException(str(exc)) from exc  # a person must fix the file: no retry
    return result.as_xcom()


def summarize(files: list[dict]) -> dict:
    """Log how each export stands; fail the run, naming them, if any export was not applied."""
    from airflow.sdk.exceptions import AirflowFailException

    lines, failed = [], []
    with open_warehouse() as conn:
        for f in files:
            path = Path(f["path"])
            try:
                key = inbound.import_key(sha256_of(path), inbound.load_inbound_manifest(path))
            except INPUT_ERRORS:
                failed.append(f["name"])
                continue
            found = warehouse.run(conn, "inbound/batch_by_import_key", import_key=key).fetchone()
            if found is None:
                failed.append(f["name"])
                continue
            r = inbound.result_for(conn, found[0], paths().reports, already_imported=False)
            lines.append(f"{r.file_name}: batch {r.batch_id}, {r.lines_read} read, {r.applied} applied, "
                         f"{r.ignored} ignored, {r.invalid} invalid, {r.opt_outs} opt-out(s), "
                         f"{r.opt_outs_over_limit} beyond the limit; report {r.report_dir}")
    log.info("Inbound summary:\n%s", "\n".join(lines) or "no exports")
    if failed:
        raise AirflowFailException(f"{len(failed)} export(s) not applied: {', '.join(failed)}; see their task logs")
    return {"files": len(files), "applied": len(lines)}
