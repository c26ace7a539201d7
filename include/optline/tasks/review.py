"""What the batch_review DAG's tasks do: ask about each held batch, record the answer, merge."""

from __future__ import annotations

import logging
from typing import Any

from airflow.sdk import conf
from airflow.sdk.exceptions import AirflowFailException

from optline import access
from optline.config import paths
from optline.contacts import gate, pipeline
from optline.contacts.batch import load_batch
from optline.contacts.review import held_for_review
from optline.reports.batches import report_url
from optline.tasks.common import open_warehouse, run_context
from optline.tasks.imports import merge_batch

log = logging.getLogger(__name__)


def held_batches() -> list[dict]:
    """Batches awaiting a reviewer, with what the review request shows (no personal data)."""
    base_url = conf.get("api", "base_url", fallback="") or ""
    with open_warehouse() as conn:
        held = held_for_review(conn)
    for batch in held:
        batch["report_url"] = report_url(batch["batch_id"], base_url)
    log.info("%d batch(es) awaiting review: %s", len(held), ", ".join(str(b["batch_id"]) for b in held) or "none")
    return held


def record_review(response: dict, context: dict[str, Any]) -> dict:
    """Store the reviewer's answer (or the timeout's Refuse) as the batch's decision: who is the
    Airflow user who answered (id and name, as Airflow recorded them), never a typed name.

    Four eyes (the policy's `gate.four_eyes`): an approval by whoever imported the batch is
    recorded as refused, with the reason, the batch stays awaiting review and this task fails,
    so the run shows it; trigger batch_review again for another reviewer to decide."""
    batch_id = response["batch_id"]
    chosen = (response.get("chosen_options") or ["Refuse"])[0]
    user = response.get("responded_by_user")
    decided_by = (user.get("name") or user.get("id")) if user else "timeout"
    decided_by_id = str(user["id"]) if user and user.get("id") is not None else None
    decision = "approved" if chosen == "Approve" else "refused"
    run = run_context(context)
    with open_warehouse() as conn:
        batch = load_batch(conn, batch_id)
        if batch.status != "awaiting_review":
            log.info("batch %s is already %s; the answer %s is not recorded again", batch_id, batch.status, chosen)
            return {"batch_id": batch_id, "status": batch.status}
        refusal = (access.four_eyes_refusal(conn, batch_id, batch.policy.four_eyes, decided_by, decided_by_id)
                   if user is not None and decision == "approved" else None)
        if refusal:
            held = gate.record_decision(conn, batch, "awaiting_review", decided_by, f"approval refused: {refusal}",
                                        run.dag_id, run.run_id, decided_by_id=decided_by_id)
            pipeline.write_review_report(conn, held, paths().reports)
            raise AirflowFailException(f"batch {batch_id}: {refusal}; it stays awaiting review: trigger "
                                       "batch_review again to ask another reviewer")
        reason = "no answer within the policy's timeout" if user is None else f"{decided_by} chose {chosen}"
        decided = gate.record_decision(conn, batch, decision, decided_by, reason, run.dag_id, run.run_id,
                                       decided_by_id=decided_by_id)
        pipeline.write_review_report(conn, decided, paths().reports)
    log.info("batch %s %s by %s", batch_id, decision, decided_by)
    return {"batch_id": batch_id, "status": decision}


def merge_reviewed(batch: dict) -> dict:
    return merge_batch({"batch_id": batch["batch_id"], "file_name": f"batch {batch['batch_id']}",
                        "already_imported": False, "status": batch["status"]})
