"""The gate: run a batch's Great Expectations suite inside the warehouse and decide.

The suite (`expectations/<kind>.json`) is GX 1.x JSON; each expectation names the dataset
it reads (`meta.dataset`: a view in the `quality` schema, filtered to the batch) and its
severity (`meta.severity`). Thresholds are `$PARAMETER`s filled from the list's policy.

Verdict: any critical failure rejects the batch whole; else any review failure holds it
for a compliance reviewer; else it is validated and may merge.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from optline import warehouse
from optline.config import PROJECT_DIR
from optline.contacts.policy import Policy

log = logging.getLogger(__name__)

SUITE_DIR = PROJECT_DIR / "expectations"
# critical rejects a batch whole, review holds it for a person; observe only records (the
# suites of opt-out files and inbound texts: an opt-out must never wait).
SEVERITIES = ("observe", "review", "critical")
# The `quality` views each suite reads, filtered to one batch.
DATASETS = ("accepted_rows", "batch_shares", "optout_outcomes", "optout_shares", "inbound_outcomes", "inbound_shares")


class SuiteError(ValueError):
    """A suite file is missing or malformed."""


@dataclass(frozen=True)
class Verdict:
    batch_id: int
    decision: str  # validated | awaiting_review | rejected
    failed_critical: tuple[str, ...]
    failed_review: tuple[str, ...]
    expectations: int

    @property
    def reason(self) -> str | None:
        failed = [*self.failed_critical, *self.failed_review]
        return "failed: " + "; ".join(failed) if failed else None


def load_suite(name: str, suite_dir: Path | None = None) -> dict[str, Any]:
    path = (suite_dir or SUITE_DIR) / f"{name}.json"
    if not path.is_file():
        raise SuiteError(f"no expectation suite {path}")
    suite = json.loads(path.read_text(encoding="utf-8"))
    for index, exp in enumerate(suite.get("expectations", [])):
        meta = exp.get("meta") or {}
        if meta.get("severity") not in SEVERITIES:
            raise SuiteError(f"{path.name}: expectation {index + 1} ({exp.get('type')}) needs meta.severity "
                             f"in {SEVERITIES}")
        if meta.get("dataset") not in DATASETS:
            raise SuiteError(f"{path.name}: expectation {index + 1} ({exp.get('type')}) needs meta.dataset "
                             f"in {DATASETS}")
    return suite


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


def dataset_query(dataset: str, batch_id: int) -> str:
    """The query a validation reads: one batch of one `quality` view (batch id as an int)."""
    if dataset not in DATASETS:
        raise SuiteError(f"unknown dataset {dataset!r}")
    return f"select * from quality.{dataset} where batch_id = {int(batch_id)}"


def decide(results: list[dict[str, Any]]) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    def label(r: dict[str, Any]) -> str:
        return f"{r['description']} ({r['expectation_type']}{', ' + r['column_name'] if r['column_name'] else ''})"

    critical = tuple(label(r) for r in results if not r["success"] and r["severity"] == "critical")
    review = tuple(label(r) for r in results if not r["success"] and r["severity"] == "review")
    decision = "rejected" if critical else "awaiting_review" if review else "validated"
    return decision, critical, review


def store_results(conn: duckdb.DuckDBPyConnection, batch_id: int, suite_name: str,
                  results: list[dict[str, Any]]) -> None:
    warehouse.run(conn, "quality/expectation_results_delete", batch_id=batch_id)
    for r in results:
        warehouse.run(conn, "quality/expectation_results_insert", batch_id=batch_id, suite_name=suite_name,
                      expectation_type=r["expectation_type"], column_name=r["column_name"],
                      severity=r["severity"], description=r["description"], success=r["success"],
                      observed_value=None if r["observed_value"] is None else str(r["observed_value"]),
                      element_count=r["element_count"], unexpected_count=r["unexpected_count"],
                      unexpected_percent=r["unexpected_percent"], kwargs=json.dumps(r["kwargs"], default=str))


def record_decision(conn: duckdb.DuckDBPyConnection, batch_id: int, decision: str, decided_by: str,
                    reason: str | None, dag_id: str | None = None, run_id: str | None = None) -> None:
    """Append the decision and move the batch's status to it (one transaction)."""
    with warehouse.transaction(conn):
        _append_decision(conn, batch_id, decision, decided_by, reason, dag_id, run_id)


def _append_decision(conn: duckdb.DuckDBPyConnection, batch_id: int, decision: str, decided_by: str,
                     reason: str | None, dag_id: str | None, run_id: str | None) -> None:
    warehouse.run(conn, "quality/batch_decisions_insert", batch_id=batch_id, decision=decision,
                  decided_by=decided_by, reason=reason, dag_id=dag_id, run_id=run_id)
    warehouse.run(conn, "quality/batch_set_status", batch_id=batch_id, status=decision)


def run_suite(conn: duckdb.DuckDBPyConnection, batch_id: int, suite: dict[str, Any],
              parameters: dict[str, Any]) -> list[dict[str, Any]]:
    """Run the suite's expectations on the batch, inside the warehouse, dataset by dataset."""
    from optline.quality import gx_duckdb

    logging.getLogger("great_expectations").setLevel(logging.WARNING)

    results: list[dict[str, Any]] = []
    for dataset in dict.fromkeys(e["meta"]["dataset"] for e in suite["expectations"]):
        part = {**suite, "expectations": [e for e in suite["expectations"] if e["meta"]["dataset"] == dataset]}
        if not part["expectations"]:
            continue
        for outcome in gx_duckdb.validate(conn, f"quality.{dataset}", part, batch_id=int(batch_id),
                                          parameters=parameters):
            results.append({
                "expectation_type": outcome.expectation_type,
                "column_name": outcome.column_name,
                "severity": outcome.severity,
                "description": outcome.description or outcome.expectation_type,
                "success": bool(outcome.success),
                "observed_value": outcome.observed_value,
                "element_count": outcome.element_count,
                "unexpected_count": outcome.unexpected_count,
                "unexpected_percent": outcome.unexpected_percent,
                "kwargs": outcome.kwargs,
            })
    return results


def validate_batch(conn: duckdb.DuckDBPyConnection, batch_id: int, *, suite_name: str = "contact_list",
                   dag_id: str | None = None, run_id: str | None = None) -> Verdict:
    """Validate a checked batch with its policy, store the results and the gate's decision.
    Idempotent: a batch already past validation keeps its verdict."""
    from optline.contacts.rules import policy_for_batch

    status = conn.execute("select status from ops.batches where batch_id = ?", [batch_id]).fetchone()[0]
    if status != "checked":
        log.info("batch %d is %s: already validated", batch_id, status)
        return Verdict(batch_id, status, (), (), 0)
    policy, _ = policy_for_batch(conn, batch_id)
    suite = load_suite(suite_name)
    results = run_suite(conn, batch_id, suite, suite_parameters(policy))
    decision, critical, review = decide(results)
    verdict = Verdict(batch_id, decision, critical, review, len(results))
    with warehouse.transaction(conn):
        store_results(conn, batch_id, suite_name, results)
        _append_decision(conn, batch_id, decision, "gate", verdict.reason, dag_id, run_id)
    log.info("batch %d: %d expectations, %d critical and %d review failures: %s", batch_id, len(results),
             len(critical), len(review), decision)
    return verdict


def observe(conn: duckdb.DuckDBPyConnection, batch_id: int, suite_name: str) -> list[dict[str, Any]]:
    """Run an observe-only suite on an applied batch and store its results; decides nothing."""
    suite = load_suite(suite_name)
    results = run_suite(conn, batch_id, suite, {})
    with warehouse.transaction(conn):
        store_results(conn, batch_id, suite_name, results)
    failed = [r["description"] for r in results if not r["success"]]
    log.info("batch %d: %s: %d expectations, %d failed%s", batch_id, suite_name, len(results), len(failed),
             f": {'; '.join(failed)}" if failed else "")
    return results
