"""
### Batch review

Asks a compliance reviewer to **approve or refuse** each import batch the gate held
(status `awaiting_review`), then merges the approved ones.

1. **held_batches**: batches awaiting review that no other run is asking about yet (no open
   request in `ops.review_requests`), with the gate's reason and a link to the batch's report
   (`/optline/batches/<id>/report`, served by the Optline plugin); recorded as asked by this run.
2. **review_batch** (one mapped group per held batch):
   *review*: a human-in-the-loop task (Browse → Required Actions) with the options
   Approve / Refuse; nobody answering within the policy's `gate.review_timeout_minutes`
   means **Refuse** (the scheduler applies the default) →
   *record*: the decision, who and when, into `ops.batch_decisions` and the batch's status →
   *merge*: an approved batch merges; a refused one ends as refused with nothing merged.

Runs when `contact_import` holds a batch (the `optline.review_requests` Asset), or by hand.
Reviews never wait on each other: runs overlap (`max_active_runs` 16; a waiting review holds
no worker or pool slot), so a batch held while another awaits its reviewer is asked about at
once, by a new run, and each run asks only about batches no running run has asked about.
"""

from __future__ import annotations

from airflow.sdk import dag, get_current_context, task, task_group

from optline.tasks import review, review_requests
from optline.tasks.assets import CONSENT_EVENTS, CONTACTS, IMPORT_BATCHES, LISTS, REVIEW_REQUESTS
from optline.tasks.defaults import START_DATE, WRITER_POOL, default_args
from optline.tasks.hitl import BatchReviewOperator

MAX_OPEN_RUNS = 16
"""Runs that may wait on reviewers at once (each asks about the batches held since the last);
a 17th would queue until one ends. Parked reviews hold no worker or pool slot."""


@dag(
    dag_id="batch_review",
    schedule=[REVIEW_REQUESTS],
    start_date=START_DATE,
    catchup=False,
    max_active_runs=MAX_OPEN_RUNS,
    default_args=default_args("compliance"),
    tags=["optline", "compliance", "review"],
    doc_md=__doc__,
)
def batch_review():
    @task(pool=WRITER_POOL)
    def held_batches() -> list[dict]:
        return review_requests.claim(review.held_batches(), get_current_context())

    @task_group
    def review_batch(batch: dict):
        ask = BatchReviewOperator(task_id="review", batch=batch, retries=0)

        @task(pool=WRITER_POOL)
        def record(response: dict) -> dict:
            return review.record_review(response, get_current_context())

        @task(pool=WRITER_POOL, outlets=[IMPORT_BATCHES, CONTACTS, LISTS, CONSENT_EVENTS])
        def merge(decided: dict) -> dict:
            return review.merge_reviewed(decided)

        merge(record(ask.output))

    review_batch.expand(batch=held_batches())


batch_review()
