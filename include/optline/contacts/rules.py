"""Row rules: give every staged row of a batch a verdict, and check nothing went missing.

The rules themselves are SQL (`sql/rules/row_outcomes_insert.sql`); this module feeds them
the batch's policy, a range of row numbers at a time, and reconciles the counts: lines read =
rows loaded + rows rejected.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import duckdb

from optline import failpoints, phones, progress, warehouse
from optline.contacts.batch import Batch
from optline.contacts.policy import Policy
from optline.intake.errors import ReconciliationError
from optline.intake.manifest import effective_date_order

log = logging.getLogger(__name__)

CHECK_RANGE_ROWS = 1_000_000  # rows given their verdicts (and committed) at a time

# Stable reason codes, in the order the rules rank them, with what each means.
REASONS: dict[str, str] = {
    "blank_row": "The row is empty.",
    "malformed_row": "The row has more fields than the header.",
    "formula_no_value": "A cell holds a formula with no saved value (the file was never opened and saved in Excel).",
    "missing_phone": "The row has no phone number.",
    "excel_mangled_number": "The phone was turned into a number by Excel (scientific notation, digits lost).",
    "invalid_number": "Not a valid phone number for its country (or the list's default country).",
    "not_us_ca": "The list takes US/CA numbers only.",
    "previously_opted_out": "The number opted out before (consent ledger); an import never re-subscribes it.",
    "not_mobile": "phonenumbers knows the number is not mobile (landline, toll-free, ...): no SMS.",
    "landline": "A line-type lookup (docs/lookup.md) says the number is a landline, which the policy refuses.",
    "fixed_voip": "A line-type lookup says the number is fixed VoIP (tied to an address), which the policy refuses.",
    "non_fixed_voip": "A line-type lookup says the number is non-fixed VoIP (an app number), which the policy refuses.",
    "refused_line_type": "A line-type lookup gives the number another type the policy refuses (toll-free, pager, ...).",
    "missing_opt_in": "The row has no opt-in timestamp.",
    "invalid_opt_in": "The opt-in timestamp cannot be read as a date.",
    "future_opt_in": "The opt-in timestamp is later than the import's clock.",
    "invalid_dob": "The date of birth cannot be read, or is in the future.",
    "missing_dob": "The list needs a date of birth (or an age) and the row has none.",
    "under_age": "Younger than the list's minimum age.",
    "stale_contact": "Opt-in and last contact are older than the policy's recency window.",
    "field_too_long": "A field is longer than its limit.",
    "duplicate_in_file": "Same number and name as an earlier row of the same file.",
}


@dataclass(frozen=True)
class CheckResult:
    batch_id: int
    lines_read: int
    rows_loaded: int
    rows_rejected: int
    rows_warned: int
    rejected_by_reason: dict[str, int]
    status: str  # the batch's status after the check: checked, or where it already was


def refused_line_types(policy: Policy) -> list[str]:
    """The line types a lookup answer rejects a row for: the policy's `line_types.refuse`, or
    none when its lookups are off (`provider: none`)."""
    settings = policy.line_types
    if settings.get("provider", "none") == "none":
        return []
    refuse = settings.get("refuse") or []
    return [refuse] if isinstance(refuse, str) else list(refuse)


def rule_parameters(batch: Batch) -> dict:
    """The values of the row rules' `$parameters` for a batch: its policy and manifest settings."""
    policy, settings = batch.policy, batch.settings
    country = settings["default_country"]
    limits = {f"limit_{field}": policy.field_limits.get(field, 1 << 30) for field in (
        "title", "first_name", "last_name", "phone", "email", "dob", "address_line1", "address_line2",
        "city", "state", "postcode", "company", "alternate_phone")}
    return {
        "default_country": country,
        "channel": settings["channel"],
        "date_order": effective_date_order(settings["date_order"], country),
        "us_ca_list": policy.is_us_ca_list(country),
        "require_opt_in": policy.require_opt_in,
        "require_age_or_dob": policy.require_age_or_dob,
        "require_full_dob": policy.require_full_dob,
        "min_age": policy.min_age,
        "recency_months": policy.recency_months,
        "recency_reject": policy.recency_action == "reject",
        "reject_types": list(policy.reject_number_types),
        "refuse_line_types": refused_line_types(policy),
        **limits,
    }


def check_batch(conn: duckdb.DuckDBPyConnection, batch: Batch) -> CheckResult:
    """Normalize phones and apply the row rules to a staged batch.

    The phone parses are committed a page at a time (a re-run parses only what is left), then
    the verdicts CHECK_RANGE_ROWS rows at a time, in row order, each range its own commit (an
    open DuckDB transaction holds its inserted rows in memory beyond the memory limit). The last
    range's commit reconciles the counts and moves the batch to `checked`; a check stopped
    part-way leaves the batch `staged` with a prefix of its rows checked, and the next check
    goes on from the first row without a verdict."""
    batch_id = batch.batch_id
    if batch.status != "staged":
        log.info("batch %d is %s: rules already applied", batch_id, batch.status)
        return summarize_check(conn, batch)
    parameters = rule_parameters(batch)
    phones.normalize_batch(conn, batch_id, batch.default_country)
    failpoints.reached("during_normalize")
    last_row, checked_through = warehouse.run(conn, "rules/batch_check_progress", batch_id=batch_id).fetchone()
    first = (checked_through or 0) + 1
    if checked_through:
        log.info("batch %d: rows up to %d already checked; going on from row %d", batch_id, checked_through, first)
    left = (last_row or 0) - first + 1
    with progress.Progress(f"batch {batch_id}: row rules", max(left, 0), "rows") as shown:
        while True:
            through = first + CHECK_RANGE_ROWS - 1
            final = last_row is None or through >= last_row
            with warehouse.transaction(conn):
                warehouse.run(conn, "rules/row_outcomes_insert", batch_id=batch_id, as_of=batch.as_of,
                              first_row=first, last_row=through, **parameters)
                if final:
                    result = _mark_checked(conn, batch, parameters)
            shown.advance(min(through, last_row or through) - first + 1)
            if final:
                break
            log.info("batch %d: rows up to %d checked", batch_id, through)
            first = through + 1
    log.info("batch %d: %d loaded, %d rejected %s", batch_id, result.rows_loaded, result.rows_rejected,
             result.rejected_by_reason)
    return result


def _mark_checked(conn: duckdb.DuckDBPyConnection, batch: Batch, parameters: dict) -> CheckResult:
    """Reconcile the batch's counts and move it to `checked` (inside the last range's transaction)."""
    result = summarize_check(conn, batch.moved_to("checked"))
    if result.rows_loaded + result.rows_rejected != result.lines_read:
        raise ReconciliationError(
            f"batch {batch.batch_id}: lines read {result.lines_read} != loaded {result.rows_loaded} "
            f"+ rejected {result.rows_rejected}; the batch is not merged")
    warehouse.run(conn, "rules/batch_mark_checked", batch_id=batch.batch_id, rows_loaded=result.rows_loaded,
                  rows_rejected=result.rows_rejected, rows_warned=result.rows_warned,
                  duplicates_removed=result.rejected_by_reason.get("duplicate_in_file", 0),
                  rule_parameters=json.dumps(parameters))
    return result


def summarize_check(conn: duckdb.DuckDBPyConnection, batch: Batch) -> CheckResult:
    loaded, rejected, warned = warehouse.run(conn, "rules/batch_outcome_counts", batch_id=batch.batch_id).fetchone()
    by_reason = dict(warehouse.run(conn, "rules/batch_rejects_by_reason", batch_id=batch.batch_id).fetchall())
    return CheckResult(batch.batch_id, batch.lines_read, loaded or 0, rejected or 0, warned or 0, by_reason,
                       batch.status)
