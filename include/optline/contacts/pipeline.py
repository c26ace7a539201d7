"""One file's import, step by step: stage -> check (normalize + row rules) -> validate -> merge.

The Airflow DAG runs each step as its own task, each loading the `Batch` once from its id;
`import_file` runs them in a row (CLI, tests, benchmarks), loading it once and moving it on
with each step's result. Every step is idempotent: re-running it on a finished batch is a no-op.

A step commits, then writes its report. A process killed in between (kill -9, the OOM killer,
a lost worker) leaves a batch whose status is ahead of its report: a merged batch whose
report still says validated, a held or rejected batch with no report. The next run finds such
a batch behind (`report_behind`) and finishes it: staging hands it on as not yet imported,
each step finds it past itself and (re)writes its report from the committed status, and the
Airflow merge and review-request tasks succeed for it (so their Asset events are emitted).
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path

import duckdb

from optline import failpoints, warehouse
from optline.config import hmac_key, paths
from optline.contacts import gate, lists, rules
from optline.contacts.batch import Batch, hand_over_policy, load_batch
from optline.contacts.merge import MERGEABLE, merge_batch
from optline.contacts.policy import Policy, PolicyError, PolicyFileError, load_policy
from optline.contacts.staging import StageResult, stage_file
from optline.intake.discovery import require_inside
from optline.intake.errors import INPUT_ERRORS
from optline.intake.identity import file_stat, import_key, known_sha256_of
from optline.intake.manifest import Manifest, ManifestError, load_manifest
from optline.lookup import step as lookups
from optline.reports import batches as reports
from optline.reports import review_page as review_report
from optline.runs import RunContext

log = logging.getLogger(__name__)


def stage(conn: duckdb.DuckDBPyConnection, path: Path, run: RunContext) -> StageResult:
    """Stage the file once its manifest's policy (and the run's clock) are known to be allowed."""
    hmac_key()  # the configuration first: a ConfigError before the file is read
    require_inside(path, paths().inbox)  # no link out of its folder, no named pipe: before anything opens it
    manifest = load_manifest(path)
    policy = checked_policy(manifest, run, path)
    lists.require_manifest_lists(conn, manifest, path)  # before anything is written
    staged = stage_file(conn, path, manifest, run, loosened=[entry.as_dict() for entry in policy.loosened],
                        file_limits=policy.file_limits)
    failpoints.reached("after_stage_commit")
    hand_over_policy(staged.batch_id, policy)
    if staged.already_imported and report_behind(conn, staged.batch_id):
        log.warning("%s: batch %s is %s but the step that made it so was interrupted before its report: "
                    "this run finishes it", path.name, staged.batch_id, staged.status)
        staged = replace(staged, already_imported=False)
    return staged


# Past the gate: a status that has a review report.
PAST_THE_GATE = ("validated", "awaiting_review", "approved", "refused", "rejected", "merged")
# Statuses an import run takes up again (staging.DONE_STATUSES are the others).
RESUMABLE = ("staged", "checked", "validated", "approved")


def report_behind(conn: duckdb.DuckDBPyConnection, batch_id: int) -> bool:
    """A batch past the gate whose review report is missing or older than its latest status
    change: the step that changed it was interrupted after its commit, before its report."""
    row = warehouse.fetch_dicts(conn, "reports/batch_report_behind", batch_id=batch_id)[0]
    return row["status"] in PAST_THE_GATE and bool(row["behind"])


def checked_policy(manifest: Manifest, run: RunContext, path: Path) -> Policy:
    """The manifest's policy with its overrides, before anything is staged. A policy that is not
    a plain name in the policy folder, a loosening override the policy does not allow, or a clock
    set by hand under a policy that does not allow backdating: a ManifestError (an input error,
    never retried) naming the manifest and the key."""
    where = Path(manifest.path).name if manifest.path else path.name
    try:
        policy = load_policy(manifest.policy, manifest.policy_overrides)
    except PolicyError as exc:
        key = "policy" if isinstance(exc, PolicyFileError) or not manifest.policy_overrides else "policy_overrides"
        raise ManifestError(f"{where}: `{key}` {exc}") from None
    if run.clock_override_by and not policy.allow_clock_override:
        raise ManifestError(
            f"{path.name}: the run's clock was set to {run.as_of.isoformat()} (`as_of`) by {run.clock_override_by}, "
            f"but policy {policy.name!r} (`policy` in {where}) does not allow backdating: run without `as_of` "
            "(the run's own clock), or name a policy with `allow_clock_override: true`")
    return policy


def check(conn: duckdb.DuckDBPyConnection, batch: Batch, reports_dir: Path) -> rules.CheckResult:
    """Look up the line types the policy asks for (optline.lookup.step: docs/lookup.md), apply
    the row rules; write rejects.csv when they rejected rows (now, or in a run that was
    interrupted before writing it)."""
    lookups.check_line_types(conn, batch)
    result = rules.check_batch(conn, batch)
    failpoints.reached("after_check_commit")
    if result.rows_rejected and (batch.status == "staged"
                                 or not reports.rejects_csv_path(reports_dir, batch.batch_id).exists()):
        reports.write_rejects_csv(conn, batch.batch_id, reports_dir)
    return result


def validate(conn: duckdb.DuckDBPyConnection, batch: Batch, reports_dir: Path, *,
             dag_id: str | None = None, run_id: str | None = None) -> gate.Verdict:
    """Run the expectation suite and the gate; write the review report (from the committed
    status: a batch already past the gate gets its report rewritten as it stands)."""
    verdict = lookups.hold_if_unanswered(conn, batch, gate.validate_batch(conn, batch, dag_id=dag_id, run_id=run_id))
    failpoints.reached("after_validate_commit")
    write_review_report(conn, batch, reports_dir)
    return verdict


def write_review_report(conn: duckdb.DuckDBPyConnection, batch: Batch, reports_dir: Path) -> Path:
    return review_report.write(conn, batch.batch_id, reports_dir, batch.policy.gate.get("review_timeout_minutes"))


def merge(conn: duckdb.DuckDBPyConnection, batch: Batch, reports_dir: Path) -> reports.FileSummary:
    """Merge a validated or approved batch (a merged one is left as it is) and write its report."""
    merge_batch(conn, batch)
    failpoints.reached("after_merge_commit")
    write_review_report(conn, batch, reports_dir)
    return reports.batch_summary(conn, batch.batch_id, reports_dir=reports_dir)


def is_mergeable(batch: Batch) -> bool:
    return batch.status in MERGEABLE


def import_file(conn: duckdb.DuckDBPyConnection, path: Path, run: RunContext,
                reports_dir: Path) -> reports.FileSummary:
    """Stage, check and merge one file. Input errors come back as a failed summary."""
    started = time.perf_counter()
    try:
        staged = stage(conn, path, run)
    except INPUT_ERRORS as exc:
        log.error("%s", exc)
        return reports.FileSummary(file_name=path.name, status="failed", error=str(exc))
    if staged.already_imported:
        return reports.batch_summary(conn, staged.batch_id, already_imported=True, reports_dir=reports_dir)
    batch = load_batch(conn, staged.batch_id)
    batch = batch.moved_to(check(conn, batch, reports_dir).status)
    batch = batch.moved_to(validate(conn, batch, reports_dir, dag_id=run.dag_id, run_id=run.run_id).decision)
    if not is_mergeable(batch):  # held, rejected, or merged by a run interrupted before its report
        return reports.batch_summary(conn, batch.batch_id, reports_dir=reports_dir)
    summary = merge(conn, batch, reports_dir)
    log.info("%s: imported in %.1f s", path.name, time.perf_counter() - started)
    return summary


def file_summary(conn: duckdb.DuckDBPyConnection, path: Path, run_id: str | None,
                 reports_dir: Path) -> reports.FileSummary:
    """How an inbox file stands in the warehouse, as seen by the run `run_id`."""
    try:
        key = import_key(known_sha256_of(conn, path, file_stat(path)), load_manifest(path))
    except INPUT_ERRORS as exc:
        return reports.FileSummary(file_name=path.name, status="failed", error=str(exc))
    found = warehouse.fetch_dicts(conn, "batches/batch_by_import_key", import_key=key)
    if not found:
        return reports.FileSummary(file_name=path.name, status="failed",
                                   error="not staged: see the stage task's log for this file")
    batch_id, batch_run = found[0]["batch_id"], found[0]["run_id"]
    summary = reports.batch_summary(conn, batch_id, already_imported=run_id is not None and batch_run != run_id,
                                    reports_dir=reports_dir)
    if summary.status not in reports.FINAL_STATUSES:
        summary.error = why_stopped(conn, batch_id, summary.status)
    elif report_behind(conn, batch_id):
        summary.error = (f"batch {batch_id} is {found[0]['status']} but the step that made it so was interrupted "
                         "before its report was written; the next run finishes it")
    return summary


def why_stopped(conn: duckdb.DuckDBPyConnection, batch_id: int, status: str) -> str:
    """What a batch that did not reach a final status is waiting for; "the next run resumes it"
    only when an import run will take it up and can load it."""
    if status not in RESUMABLE:
        return f"batch {batch_id} stopped at status {status}, which no import run resumes: see its tasks' logs"
    try:
        load_batch(conn, batch_id)
    except (PolicyError, *INPUT_ERRORS) as exc:
        return (f"batch {batch_id} stopped at status {status}: {exc}; no run can resume it until that is "
                "fixed (or the batch is deleted)")
    return f"batch {batch_id} stopped at status {status}; the next run resumes it"
