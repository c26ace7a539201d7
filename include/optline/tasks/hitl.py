"""The compliance reviewer's question, as an Airflow human-in-the-loop task.

`BatchReviewOperator` asks "Approve or Refuse" about one held batch, links its report, and
waits (Airflow 3.3: the task parks in `awaiting_input`, holding no worker or pool slot).
The wait is the batch's policy timeout; when it passes with no answer, the scheduler takes
the default, **Refuse**: a held batch is never merged by default.

The question is assigned to the Airflow users listed under `review: airflow_users` in the
access settings (optline.access), read when the task runs: only they can answer (the REST
API refuses anyone else, 403). With none listed, anyone Airflow lets answer batch_review's
Required Actions may.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from airflow.providers.standard.operators.hitl import HITLOperator

from optline.access import load_access
from optline.reports.review_page import timeout_text

APPROVE, REFUSE = "Approve", "Refuse"


class BatchReviewOperator(HITLOperator):
    """Approve or refuse one held batch (`batch`: a dict from `tasks.held_batches`)."""

    template_fields = (*HITLOperator.template_fields, "batch")

    def __init__(self, *, batch: Any, **kwargs: Any) -> None:
        super().__init__(subject="Held import batch", options=[APPROVE, REFUSE], defaults=[REFUSE], **kwargs)
        self.batch = batch

    def execute(self, context: Any) -> Any:
        batch = self.batch
        # The timeout comes from the batch's policy, the reviewers from the access settings: known only now.
        self.assigned_users = [dict(u) for u in load_access().review.airflow_users] or None
        self.response_timeout = dt.timedelta(minutes=float(batch["timeout_minutes"]))
        self.subject = f"Import batch {batch['batch_id']} ({batch['file_name']}): approve or refuse"
        self.body = (
            f"The compliance gate held batch **{batch['batch_id']}** (`{batch['file_name']}`, lists "
            f"{', '.join(batch['list_names'])}): {batch['lines_read']} rows read, {batch['rows_loaded']} accepted, "
            f"{batch['rows_rejected']} rejected.\n\n"
            f"Why: {batch['reason'] or 'see the report'}\n\n"
            f"Report: [{batch['report_url']}]({batch['report_url']})\n\n"
            f"**Approve** merges the accepted rows; **Refuse** merges nothing. With no answer within "
            f"{timeout_text(float(batch['timeout_minutes']))} the batch is refused."
        )
        return super().execute(context)

    def execute_complete(self, context: Any, event: dict[str, Any]) -> Any:
        response = super().execute_complete(context, event)
        return {**dict(response), "batch_id": self.batch["batch_id"]}
