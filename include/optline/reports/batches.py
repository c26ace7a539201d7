"""Reports for people: a rejects CSV per batch and a per-file import summary.

Reports carry no raw phone number, date of birth or name: values are masked, and every
cell that a spreadsheet would run as a formula is neutralized.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from optline import warehouse
from optline.intake.fields import FIELDS
from optline.intake.report_dirs import report_dir
from optline.intake.summary import format_table
from optline.masking import neutralize_formula, safe_value

# Where a batch can end: merged, held for a reviewer, refused or rejected by the gate.
FINAL_STATUSES = ("merged", "already imported", "awaiting_review", "refused", "rejected")
REJECTS_HEADER = ["row_number", "line_number", "column", "reason_code", "message", "all_reasons", "value"]


@dataclass
class FileSummary:
    """One line of the import summary."""
    file_name: str
    status: str  # merged | already imported | awaiting_review | refused | rejected | failed (or a step's status)
    batch_id: int | None = None
    lines_read: int = 0
    rows_loaded: int = 0
    new_contacts: int = 0
    merged_contacts: int = 0
    duplicates_removed: int = 0
    rows_rejected: int = 0
    rows_warned: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    rejects_csv: str | None = None
    error: str | None = None
    clock_override: str | None = None  # "clock overridden to ... (real time ...) by ...", when it was

    def as_dict(self) -> dict:
        return asdict(self)


def batch_dir(reports_dir: Path, batch_id: int) -> Path:
    """`<reports>/batches/<id>/`: a contact batch's report files."""
    return report_dir(reports_dir, "batches", batch_id)


def report_url(batch_id: int, base_url: str = "") -> str:
    """Where the Airflow plugin serves a batch's review report (`base_url`: Airflow's, if known)."""
    return f"{base_url.rstrip('/')}/optline/batches/{int(batch_id)}/report"


def write_rejects_csv(conn: duckdb.DuckDBPyConnection, batch_id: int, reports_dir: Path) -> Path:
    """`reports/batches/<id>/rejects.csv`: every rejected row, its reason, a masked value."""
    out = batch_dir(reports_dir, batch_id) / "rejects.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = warehouse.run(conn, "reports/batch_rejects", batch_id=batch_id).fetchall()
    tmp = out.with_suffix(".csv.tmp")
    with tmp.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(REJECTS_HEADER)
        for row_number, line_number, column, code, message, reasons, raw_row in rows:
            value = (raw_row or {}).get(FIELDS.get(column or "", ""), None) if column else None
            writer.writerow([row_number, line_number, column or "", code, neutralize_formula(message),
                             " ".join(reasons), safe_value(column, value)])
    tmp.replace(out)
    return out


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def clock_override_text(as_of: dt.datetime, real_time: dt.datetime | None, by: str | None) -> str | None:
    """"clock overridden to 2026-11-01 12:00 UTC (real time 2026-11-03 09:12 UTC) by alice (...)",
    or None for a batch that ran on its run's own clock."""
    if not by:
        return None
    real = _utc(real_time) if real_time else "not recorded"
    return f"clock overridden to {_utc(as_of)} (real time {real}) by {by}"


def loosened_settings(policy_loosened: str | None) -> list[dict]:
    """The stored `policy_loosened` JSON: each override that loosened the policy."""
    return json.loads(policy_loosened) if policy_loosened else []


def batch_overrides(conn: duckdb.DuckDBPyConnection, batch_id: int) -> tuple[str | None, list[dict]]:
    """The batch's clock override text (or None) and the policy settings its manifest loosened."""
    row = warehouse.fetch_dicts(conn, "reports/batch_overrides", batch_id=batch_id)[0]
    return (clock_override_text(row["as_of"], row["clock_real_time"], row["clock_override_by"]),
            loosened_settings(row["policy_loosened"]))


def batch_summary(conn: duckdb.DuckDBPyConnection, batch_id: int, *, already_imported: bool = False,
                  reports_dir: Path | None = None) -> FileSummary:
    row = warehouse.fetch_dicts(conn, "reports/batch_summary", batch_id=batch_id)[0]
    by_reason = dict(warehouse.run(conn, "rules/batch_rejects_by_reason", batch_id=batch_id).fetchall())
    rejects = batch_dir(reports_dir, batch_id) / "rejects.csv" if reports_dir else None
    clock_override, _ = batch_overrides(conn, batch_id)
    return FileSummary(
        file_name=row["file_name"],
        status="already imported" if already_imported and row["status"] == "merged" else row["status"],
        batch_id=batch_id,
        lines_read=row["lines_read"],
        rows_loaded=row["rows_loaded"] or 0,
        new_contacts=0 if already_imported else row["new_contacts"] or 0,
        merged_contacts=0 if already_imported else row["merged_contacts"] or 0,
        duplicates_removed=row["duplicates_removed"] or 0,
        rows_rejected=row["rows_rejected"] or 0,
        rows_warned=row["rows_warned"] or 0,
        rejected_by_reason=by_reason,
        rejects_csv=str(rejects) if rejects and rejects.exists() else None,
        clock_override=clock_override,
    )


def format_summary(summaries: list[FileSummary]) -> str:
    """A plain-text table, one line per file, then the reject reasons per file."""
    head = ("file", "status", "batch", "read", "loaded", "new", "merged", "dupes", "rejected", "warned")
    rows = [(s.file_name, s.status, str(s.batch_id or "-"), str(s.lines_read), str(s.rows_loaded),
             str(s.new_contacts), str(s.merged_contacts), str(s.duplicates_removed), str(s.rows_rejected),
             str(s.rows_warned)) for s in summaries]
    lines = format_table(head, rows, right_from=2)
    for s in summaries:
        if s.clock_override:
            lines.append(f"\n{s.file_name}: {s.clock_override}")
        if s.error:
            lines.append(f"\n{s.file_name}: FAILED: {s.error}")
        elif s.rejected_by_reason:
            reasons = ", ".join(f"{code} {n}" for code, n in s.rejected_by_reason.items())
            lines.append(f"\n{s.file_name}: rejected by reason: {reasons}")
            if s.rejects_csv:
                lines.append(f"  rejected rows: {s.rejects_csv}")
    return "\n".join(lines)
