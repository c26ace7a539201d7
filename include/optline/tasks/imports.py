"""What the contact_import DAG's tasks do: thin adapters from Airflow's context to optline.

Tasks pass batch ids and file paths along XCom, never contents or personal data.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from optline import lineage as datasets
from optline.config import paths
from optline.contacts import pipeline
from optline.contacts.batch import load_batch
from optline.intake.discovery import discover
from optline.intake.errors import INPUT_ERRORS
from optline.intake.summary import write_run_summary
from optline.reports import batches as reports
from optline.tasks import lineage
from optline.tasks.common import open_warehouse, run_context, safe_name

log = logging.getLogger(__name__)

def inbox_dir(context: dict[str, Any]) -> Path:
    chosen = (context.get("params") or {}).get("inbox")
    return Path(chosen) if chosen else paths().inbox


def discover_files(context: dict[str, Any]) -> list[dict]:
    files = [f.as_xcom() for f in discover(inbox_dir(context))]
    log.info("%d file(s) in the inbox: %s", len(files), ", ".join(f["name"] for f in files) or "none")
    return files


def stage_file(inbox_file: dict, context: dict[str, Any]) -> dict:
    with open_warehouse() as conn:
        try:
            staged = pipeline.stage(conn, Path(inbox_file["path"]), run_context(context))
        except INPUT_ERRORS as exc:
            # A person must fix the file: retrying cannot help.
            raise AirflowFailException(str(exc)) from exc
    out = staged.as_xcom()
    lineage.record(datasets.CONTACT_STAGE, files=[Path(inbox_file["path"])], outputs=not out["already_imported"])
    return out


def check_batch(batch: dict) -> dict:
    if batch["already_imported"]:
        log.info("%s: already imported as batch %s; nothing to check", batch["file_name"], batch["batch_id"])
        return batch
    with open_warehouse() as conn:
        result = pipeline.check(conn, load_batch(conn, batch["batch_id"]), paths().reports)
    lineage.record(datasets.CONTACT_CHECK)
    log.info("%s: %d read, %d loaded, %d rejected %s", batch["file_name"], result.lines_read,
             result.rows_loaded, result.rows_rejected, result.rejected_by_reason)
    return {**batch, "status": result.status}  # checked, or where a resumed batch already is


def validate_batch(batch: dict, context: dict[str, Any]) -> dict:
    """Run the expectation suite; the gate's decision becomes the batch's status."""
    if batch["already_imported"]:
        return batch
    run = run_context(context)
    with open_warehouse() as conn:
        verdict = pipeline.validate(conn, load_batch(conn, batch["batch_id"]), paths().reports,
                                    dag_id=run.dag_id, run_id=run.run_id)
        summary = reports.batch_summary(conn, batch["batch_id"]) if verdict.decision in GATE_NOTICES else None
    lineage.record(datasets.CONTACT_VALIDATE)
    log.info("%s: %s (%d expectations)%s", batch["file_name"], verdict.decision, verdict.expectations,
             f"; {verdict.reason}" if verdict.reason else "")
    if summary is not None:
        tell_gate_outcome(verdict, summary, context)
    return {**batch, "status": verdict.decision}


GATE_NOTICES = {"awaiting_review": "batch_held", "rejected": "batch_rejected"}


def tell_gate_outcome(verdict: Any, summary: reports.FileSummary, context: dict[str, Any]) -> None:
    """Tell the reviewers (config/notifications.yaml) that the gate held or rejected a batch;
    a notifier that fails is logged, never failing the import."""
    from airflow.sdk import conf

    from optline.reports.notices import batch_notice
    from optline.tasks import notify

    notice = batch_notice(GATE_NOTICES[verdict.decision], batch_id=verdict.batch_id, file_name=summary.file_name,
                          lines_read=summary.lines_read, rows_loaded=summary.rows_loaded,
                          rows_rejected=summary.rows_rejected, reason=verdict.reason,
                          report_url=reports.report_url(verdict.batch_id,
                                                        conf.get("api", "base_url", fallback="") or ""))
    notify.tell(notice, context)


def request_review(batch: dict) -> dict:
    """Succeeds (and so updates the review-requests Asset) only for a batch held for review."""
    if batch["already_imported"] or batch["status"] != "awaiting_review":
        raise AirflowSkipException(f"{batch['file_name']}: no review needed ({batch['status']})")
    log.info("%s: batch %s held for a compliance reviewer (DAG batch_review)", batch["file_name"], batch["batch_id"])
    lineage.record(datasets.REVIEW_REQUEST)
    return batch


def merge_batch(batch: dict) -> dict:
    """Merge a validated or approved batch; skip (no Asset event) for anything else.

    A batch this import finds merged already was merged by this import: by an earlier try of
    this task (killed after its commit, then retried), or by an earlier run killed before its
    merge's report (staging hands such a batch on as not yet imported). The task then succeeds,
    finishing the report, so the Assets that feed messaging get the event the killed try never
    emitted."""
    if batch["already_imported"]:
        raise AirflowSkipException(f"{batch['file_name']}: already imported as batch {batch['batch_id']}")
    with open_warehouse() as conn:
        loaded = load_batch(conn, batch["batch_id"])
        if loaded.status == "merged":
            log.info("%s: batch %s was merged by an interrupted try of this import; finishing it",
                     batch["file_name"], batch["batch_id"])
        elif not pipeline.is_mergeable(loaded):
            raise AirflowSkipException(f"{batch['file_name']}: batch {batch['batch_id']} is {loaded.status}; "
                                       "nothing merges")
        summary = pipeline.merge(conn, loaded, paths().reports)
    lineage.record(datasets.CONTACT_MERGE)
    return {**batch, "status": summary.status, "new_contacts": summary.new_contacts,
            "merged_contacts": summary.merged_contacts}


def summarize(files: list[dict], context: dict[str, Any]) -> dict:
    """Print the per-file summary; fail the run, naming the files, if any file did not merge."""
    run_id = context.get("run_id")
    with open_warehouse() as conn:
        summaries = [pipeline.file_summary(conn, Path(f["path"]), run_id, paths().reports) for f in files]
    out = write_run_summary(summaries, paths().reports / "runs" / f"{safe_name(run_id)}.json")
    log.info("Import summary (also in %s):\n%s", out, reports.format_summary(summaries))
    failed = [s.file_name for s in summaries if s.error]
    if failed:
        raise AirflowFailException(f"{len(failed)} file(s) did not import: {', '.join(failed)}; see the summary above")
    return {"files": len(summaries), "merged": sum(s.status == "merged" for s in summaries),
            "already_imported": sum(s.status == "already imported" for s in summaries),
            "rows_loaded": sum(s.rows_loaded for s in summaries),
            "rows_rejected": sum(s.rows_rejected for s in summaries)}
