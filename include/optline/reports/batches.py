"""Reports for people: a rejects CSV per batch and a per-file import summary.

Reports carry no raw phone number, date of birth or name: values are masked, and every
cell that a spreadsheet would run as a formula is neutralized.
"""

from __future__ import annotations

import csv
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


def batch_summary(conn: duckdb.DuckDBPyConnection, batch_id: int, *, already_imported: bool = False,
                  reports_dir: Path | None = None) -> FileSummary:
    row = warehouse.fetch_dicts(conn, "reports/batch_summary", batch_id=batch_id)[0]
    by_reason = dict(warehouse.run(conn, "rules/batch_rejects_by_reason", batch_id=batch_id).fetchall())
    rejects = batch_dir(reports_dir, batch_id) / "rejects.csv" if reports_dir else None
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
    )


def format_summary(summaries: list[FileSummary]) -> str:
    """A plain-text table, one line per file, then the reject reasons per file."""
    head = ("file", "status", "batch", "read", "loaded", "new", "merged", "dupes", "rejected", "warned")
    rows = [(s.file_name, s.status, str(s.batch_id or "-"), str(s.lines_read), str(s.rows_loaded),
             str(s.new_contacts), str(s.merged_contacts), str(s.duplicates_removed), str(s.rows_rejected),
             str(s.rows_warned)) for s in summaries]
    lines = format_table(head, rows, right_from=2)
    for s in summaries:
        if s.error:
            lines.append(f"\n{s.file_name}: FAILED: {s.error}")
        elif s.rejected_by_reason:
            reasons = ", ".join(f"{code} {n}" for code, n in s.rejected_by_reason.items())
            lines.append(f"\n{s.file_name}: rejected by reason: {reasons}")
            if s.rejects_csv:
                lines.append(f"  rejected rows: {s.rejects_csv}")
    return "\n".join(lines)
