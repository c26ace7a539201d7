"""The contact-import gate: run a checked batch's expectation suite and decide where it goes.

The suite (`expectations/contact_list.json`, run by `optline.quality.suites`) gets its
`$PARAMETER` thresholds from the batch's policy. Verdict: any critical failure rejects the
batch whole; else any review failure holds it for a compliance reviewer; else it is
validated and may merge. A reviewer's answer (approved or refused) is recorded the same way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import duckdb

from optline import failpoints, warehouse
from optline.contacts.batch import Batch
from optline.contacts.policy import Policy
from optline.quality.suites import DatasetUnreadable, load_suite, run_suite, store_results

log = logging.getLogger(__name__)

SUITE_NAME = "contact_list"


@dataclass(frozen=True)
class Verdict:
    batch_id: int
    decision: str  # validated | awaiting_review | rejected (or the status of a batch already past the gate)
    failed_critical: tuple[str, ...]
    failed_review: tuple[str, ...]
    expectations: int

    @property
    def reason(self) -> str | None:
        """What failed, as the rules that failed ("12.0% of the rows rejected, above the review
        limit of 10.0%"), critical ones first; None when nothing failed."""
        failed = [*self.failed_critical, *self.failed_review]
        return "; ".join(failed) if failed else None


class ExpectationsNotEvaluated(warehouse.WarehouseError):
    """Some expectations raised instead of answering: the gate cannot decide on the batch."""


def suite_parameters(policy: Policy) -> dict[str, float]:
    """The values of every `$PARAMETER` the contact-list suite uses, from the policy."""
    limits = {f"limit_{k}": v for k, v in policy.field_limits.items()}
    return {
        "min_age": policy.min_age,
        "recency_months": policy.recency_months,
        "opt_in_required_share": 1.0 if policy.require_opt_in else 0.0,
        **limits,
        **{k: v for k, v in policy.gate.items() if k != "review_timeout_minutes"},
    }


def failure_text(result: dict[str, Any], template: str | None) -> str:
    """How a failed expectation reads: its suite's `meta.failure` filled with what GX observed
    (`observed_value`, `unexpected_count`, `element_count`) and its settings (`max_value`, ...);
    without a template, or when a value is missing, "not met: <description>"."""
    values = {**(result.get("kwargs") or {}), **{k: result.get(k) for k in
                                                 ("observed_value", "unexpected_count", "element_count")}}
    # GX hands settings back as floats: a minimum age of 18 reads "18", not "18.0"
    values = {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in values.items()}
    try:
        return template.format(**values) if template else f"not met: {result['description']}"
    except (KeyError, TypeError, ValueError):
        return f"not met: {result['description']}"


def decide(results: list[dict[str, Any]], failures: dict[str, str] | None = None,
           ) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """The gate's decision and the failed expectations as they read (`failures`: description ->
    the suite's `meta.failure` template)."""
    failures = failures or {}

    def label(r: dict[str, Any]) -> str:
        return failure_text(r, failures.get(r["description"]))

    critical = tuple(label(r) for r in results if not r["success"] and r["severity"] == "critical")
    review = tuple(label(r) for r in results if not r["success"] and r["severity"] == "review")
    decision = "rejected" if critical else "awaiting_review" if review else "validated"
    return decision, critical, review


def failure_templates(suite: dict[str, Any]) -> dict[str, str]:
    """description -> `meta.failure` of each expectation of a suite that has one."""
    return {e["meta"]["description"]: e["meta"]["failure"] for e in suite["expectations"]
            if e["meta"].get("description") and e["meta"].get("failure")}


def validate_batch(conn: duckdb.DuckDBPyConnection, batch: Batch, *, suite_name: str = SUITE_NAME,
                   dag_id: str | None = None, run_id: str | None = None) -> Verdict:
    """Validate a checked batch with its policy, store the results and the gate's decision.
    Idempotent: a batch already past validation keeps its verdict."""
    if batch.status != "checked":
        log.info("batch %d is %s: already validated", batch.batch_id, batch.status)
        return Verdict(batch.batch_id, batch.status, (), (), 0)
    suite = load_suite(suite_name)
    try:
        results = run_suite(conn, batch.batch_id, suite, suite_parameters(batch.policy))
    except DatasetUnreadable as exc:
        raise ExpectationsNotEvaluated(
            f"batch {batch.batch_id}: the expectations could not be evaluated, so the gate decides nothing and the "
            f"batch stays checked: {exc}. Fix the cause, then run the import again") from None
    not_evaluated = [r for r in results if r.get("error")]
    if not_evaluated:
        # An expectation that could not run (out of memory, a broken view) is no verdict on the
        # data: fail the step (retried; the batch stays checked), never reject the batch for it.
        raise ExpectationsNotEvaluated(
            f"batch {batch.batch_id}: {len(not_evaluated)} expectation(s) could not be evaluated, so the gate "
            "decides nothing and the batch stays checked: "
            + "; ".join(f"{r['expectation_type']} on {r['column_name']}: {r['error']}" for r in not_evaluated[:3])
            + ". Fix the cause, then run the import again")
    decision, critical, review = decide(results, failure_templates(suite))
    verdict = Verdict(batch.batch_id, decision, critical, review, len(results))
    with warehouse.transaction(conn):
        store_results(conn, batch.batch_id, suite_name, results)
        failpoints.reached("during_validate")
        _append_decision(conn, batch.batch_id, decision, "gate", verdict.reason, dag_id, run_id)
    log.info("batch %d: %d expectations, %d critical and %d review failures: %s", batch.batch_id, len(results),
             len(critical), len(review), decision)
    return verdict


def record_decision(conn: duckdb.DuckDBPyConnection, batch: Batch, decision: str, decided_by: str,
                    reason: str | None, dag_id: str | None = None, run_id: str | None = None, *,
                    decided_by_id: str | None = None) -> Batch:
    """Append the decision and move the batch's status to it (one transaction); returns the moved batch.
    `decided_by_id`: the Airflow user id or OS account behind `decided_by` (optline.access)."""
    with warehouse.transaction(conn):
        _append_decision(conn, batch.batch_id, decision, decided_by, reason, dag_id, run_id, decided_by_id)
    return batch.moved_to(decision)


def _append_decision(conn: duckdb.DuckDBPyConnection, batch_id: int, decision: str, decided_by: str,
                     reason: str | None, dag_id: str | None, run_id: str | None,
                     decided_by_id: str | None = None) -> None:
    warehouse.run(conn, "quality/batch_decisions_insert", batch_id=batch_id, decision=decision,
                  decided_by=decided_by, decided_by_id=decided_by_id, reason=reason, dag_id=dag_id, run_id=run_id)
    warehouse.run(conn, "quality/batch_set_status", batch_id=batch_id, status=decision)
