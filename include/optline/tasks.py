"""What the contact_import DAG's tasks do: thin adapters from Airflow's context to optline.

Airflow is imported inside the functions, so the rest of the library never needs it.
Tasks pass batch ids and file paths along XCom, never contents or personal data.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from optline import pipeline, reports, warehouse
from optline.config import paths
from optline.inbox import discover
from optline.staging import RunContext

log = logging.getLogger(__name__)

WAREHOUSE_CONN_ID = "optline_warehouse"
WRITER_POOL = "duckdb_writer"


@contextmanager
def open_warehouse() -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse from the Airflow connection `optline_warehouse` if defined, else OPTLINE_WAREHOUSE."""
    from airflow.providers.duckdb.hooks.duckdb import DuckDBHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        hook = DuckDBHook(duckdb_conn_id=WAREHOUSE_CONN_ID)
        database = hook.get_database()
    except AirflowNotFoundException:
        hook, database = None, None
    if hook is not None and database == ":memory:":
        raise ValueError(f"Airflow connection {WAREHOUSE_CONN_ID!r} has no host: set it to the warehouse file path")
    conn = warehouse.prepare(hook.get_conn()) if hook is not None else warehouse.connect()
    try:
        yield conn
    finally:
        conn.close()


def run_context(context: dict[str, Any], *, wall_clock: bool = False) -> RunContext:
    """The clock a step uses: the `as_of` param (tests, demos), else when the run was due (stable
    on re-runs), or with `wall_clock` the real time (an opt-out's report must show when it was
    really applied)."""
    params = context.get("params") or {}
    dag_run = context.get("dag_run")
    as_of = params.get("as_of")
    if as_of:
        when = dt.datetime.fromisoformat(str(as_of))
        when = when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)
    elif wall_clock:
        when = dt.datetime.now(dt.timezone.utc)
    else:
        when = getattr(dag_run, "run_after", None) or context.get("logical_date") or dt.datetime.now(dt.timezone.utc)
    dag = context.get("dag")
    return RunContext(as_of=when, dag_id=getattr(dag, "dag_id", None), run_id=context.get("run_id"))


def discover_in(folder: Path, what: str) -> list[dict]:
    """The files waiting in an inbox folder, for XCom (paths and names only); none if it is missing."""
    if not folder.is_dir():
        log.info("no %s inbox at %s yet: nothing to apply", what, folder)
        return []
    files = [f.as_xcom() for f in discover(folder)]
    log.info("%d %s file(s) in %s: %s", len(files), what, folder, ", ".join(f["name"] for f in files) or "none")
    return files


def inbox_dir(context: dict[str, Any]) -> Path:
    chosen = (context.get("params") or {}).get("inbox")
    return Path(chosen) if chosen else paths().inbox


def discover_files(context: dict[str, Any]) -> list[dict]:
    files = [f.as_xcom() for f in discover(inbox_dir(context))]
    log.info("%d file(s) in the inbox: %s", len(files), ", ".join(f["name"] for f in files) or "none")
    return files


def stage_file(inbox_file: dict, context: dict[str, Any]) -> dict:
    from airflow.sdk.exceptions import AirflowFailException

    with open_warehouse() as conn:
        try:
            staged = pipeline.stage(conn, Path(inbox_file["path"]), run_context(context))
        except pipeline.INPUT_ERRORS as exc:
            # A person must fix the file: retrying cannot help.
            raise AirflowFailException(str(exc)) from exc
    return staged.as_xcom()


def check_batch(batch: dict) -> dict:
    if batch["already_imported"]:
        log.info("%s: already imported as batch %s; nothing to check", batch["file_name"], batch["batch_id"])
        return batch
    with open_warehouse() as conn:
        result = pipeline.check(conn, batch["batch_id"], paths().reports)
    log.info("%s: %d read, %d loaded, %d rejected %s", batch["file_name"], result.lines_read,
             result.rows_loaded, result.rows_rejected, result.rejected_by_reason)
    return {**batch, "status": "checked"}


def validate_batch(batch: dict, context: dict[str, Any]) -> dict:
    """Run the expectation suite; the gate's decision becomes the batch's status."""
    if batch["already_imported"]:
        return batch
    run = run_context(context)
    with open_warehouse() as conn:
        verdict = pipeline.validate(conn, batch["batch_id"], paths().reports, dag_id=run.dag_id, run_id=run.run_id)
    log.info("%s: %s (%d expectations)%s", batch["file_name"], verdict.decision, verdict.expectations,
             f"; {verdict.reason}" if verdict.reason else "")
    return {**batch, "status": verdict.decision}


def request_review(batch: dict) -> dict:
    """Succeeds (and so updates the review-requests Asset) only for a batch held for review."""
    from airflow.sdk.exceptions import AirflowSkipException

    if batch["already_imported"] or batch["status"] != "awaiting_review":
        raise AirflowSkipException(f"{batch['file_name']}: no review needed ({batch['status']})")
    log.info("%s: batch %s held for a compliance reviewer (DAG batch_review)", batch["file_name"], batch["batch_id"])
    return batch


def merge_batch(batch: dict) -> dict:
    """Merge a validated or approved batch; skip (no Asset event) for anything else."""
    from airflow.sdk.exceptions import AirflowSkipException

    if batch["already_imported"]:
        raise AirflowSkipException(f"{batch['file_name']}: already imported as batch {batch['batch_id']}")
    with open_warehouse() as conn:
        if not pipeline.is_mergeable(conn, batch["batch_id"]):
            status = conn.execute("select status from ops.batches where batch_id = ?", [batch["batch_id"]]).fetchone()[0]
            raise AirflowSkipException(f"{batch['file_name']}: batch {batch['batch_id']} is {status}; nothing merges")
        summary = pipeline.merge(conn, batch["batch_id"], paths().reports)
    return {**batch, "status": summary.status, "new_contacts": summary.new_contacts,
            "merged_contacts": summary.merged_contacts}


def held_batches() -> list[dict]:
    """Batches awaiting a reviewer, with what the review request shows (no personal data)."""
    from optline.reports_app import report_url
    from airflow.sdk import conf

    base_url = conf.get("api", "base_url", fallback="") or ""
    with open_warehouse() as conn:
        held = reports_for_review(conn)
    for batch in held:
        batch["report_url"] = report_url(batch["batch_id"], base_url)
    log.info("%d batch(es) awaiting review: %s", len(held), ", ".join(str(b["batch_id"]) for b in held) or "none")
    return held


def reports_for_review(conn: duckdb.DuckDBPyConnection) -> list[dict]:
    from optline import rules

    held = warehouse.fetch_dicts(conn, "quality/batches_awaiting_review")
    for batch in held:
        policy, _ = rules.policy_for_batch(conn, batch["batch_id"])
        batch["timeout_minutes"] = policy.gate["review_timeout_minutes"]
        batch["list_names"] = list(batch["list_names"])
    return held


def record_review(response: dict, context: dict[str, Any]) -> dict:
    """Store the reviewer's answer (or the timeout's Refuse) as the batch's decision."""
    from optline import quality

    batch_id = response["batch_id"]
    chosen = (response.get("chosen_options") or ["Refuse"])[0]
    user = response.get("responded_by_user")
    decided_by = (user.get("name") or user.get("id")) if user else "timeout"
    decision = "approved" if chosen == "Approve" else "refused"
    run = run_context(context)
    with open_warehouse() as conn:
        status = conn.execute("select status from ops.batches where batch_id = ?", [batch_id]).fetchone()[0]
        if status != "awaiting_review":
            log.info("batch %s is already %s; the answer %s is not recorded again", batch_id, status, chosen)
            return {"batch_id": batch_id, "status": status}
        reason = "no answer within the policy's timeout" if user is None else f"{decided_by} chose {chosen}"
        quality.record_decision(conn, batch_id, decision, decided_by, reason, run.dag_id, run.run_id)
        pipeline.write_review_report(conn, batch_id, paths().reports)
    log.info("batch %s %s by %s", batch_id, decision, decided_by)
    return {"batch_id": batch_id, "status": decision}


def merge_reviewed(batch: dict) -> dict:
    return merge_batch({"batch_id": batch["batch_id"], "file_name": f"batch {batch['batch_id']}",
                        "already_imported": False, "status": batch["status"]})


def summarize(files: list[dict], context: dict[str, Any]) -> dict:
    """Print the per-file summary; fail the run, naming the files, if any file did not merge."""
    from airflow.sdk.exceptions import AirflowFailException

    run_id = context.get("run_id")
    with open_warehouse() as conn:
        summaries = [pipeline.file_summary(conn, Path(f["path"]), run_id, paths().reports) for f in files]
    out = reports.write_summary_json(summaries, paths().reports / "runs" / f"{safe_name(run_id)}.json")
    log.info("Import summary (also in %s):\n%s", out, reports.format_summary(summaries))
    failed = [s.file_name for s in summaries if s.error]
    if failed:
        raise AirflowFailException(f"{len(failed)} file(s) did not import: {', '.join(failed)}; see the summary above")
    return {"files": len(summaries), "merged": sum(s.status == "merged" for s in summaries),
            "already_imported": sum(s.status == "already imported" for s in summaries),
            "rows_loaded": sum(s.rows_loaded for s in summaries),
            "rows_rejected": sum(s.rows_rejected for s in summaries)}


def safe_name(run_id: str | None) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in (run_id or "manual"))
