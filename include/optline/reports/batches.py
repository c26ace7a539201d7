"""Reports for people: a rejects CSV per batch and a per-file import summary.

Reports carry no raw phone number, date of birth or name: values are masked, and every
cell that a spreadsheet would run as a formula is neutralized.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
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
REJECTS_MAX_ROWS = 100_000
"""rejects.csv holds at most this many rows (the first rejected, by row number): a file people can
open in a spreadsheet. `rejects_summary.json` and the summary count the rows left out and give the
query that lists all of them from the warehouse."""
REJECTS_NOTE = "rejects_summary.json"
REJECTS_CSV = "rejects.csv"
FETCH_ROWS = 10_000
"""Rows brought from DuckDB to Python at a time while a report is written."""


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
    rejects_in_csv: int | None = None  # rows rejects.csv holds (it stops at REJECTS_MAX_ROWS)
    rejects_query: str | None = None  # when it left rows out: the command that lists them all
    error: str | None = None
    clock_override: str | None = None  # "clock overridden to ... (real time ...) by ...", when it was
    # line-type lookups (optline.lookup, docs/lookup.md): numbers, looked_up (what it cost),
    # from_cache, unavailable, action and reason when some were unanswered; None: lookups off
    lookups: dict | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def batch_dir(reports_dir: Path, batch_id: int) -> Path:
    """`<reports>/batches/<id>/`: a contact batch's report files."""
    return report_dir(reports_dir, "batches", batch_id)


def report_url(batch_id: int, base_url: str = "") -> str:
    """Where the Airflow plugin serves a batch's review report (`base_url`: Airflow's, if known)."""
    return f"{base_url.rstrip('/')}/optline/batches/{int(batch_id)}/report"


def rejects_csv_path(reports_dir: Path, batch_id: int) -> Path:
    """Where a batch's rejects.csv is (or would be) written."""
    return batch_dir(reports_dir, batch_id) / REJECTS_CSV


def write_rejects_csv(conn: duckdb.DuckDBPyConnection, batch_id: int, reports_dir: Path,
                      max_rows: int | None = None) -> Path:
    """`reports/batches/<id>/rejects.csv`: the first `max_rows` (default `REJECTS_MAX_ROWS`)
    rejected rows, by row number, each with its reason and a masked value; and beside it
    `rejects_summary.json` (`rejects_note`): how many rows the batch rejected, how many the CSV
    holds, how many it left out, and the read-only query that lists them all from the warehouse.

    Memory stays bounded whatever the batch's size: the cap is applied inside DuckDB before the
    join (`sql/reports/batch_rejects.sql`), and the rows come to Python `FETCH_ROWS` at a time.
    The masking stays in Python (`optline.masking`, the one definition reports share)."""
    cap = REJECTS_MAX_ROWS if max_rows is None else max_rows
    folder = batch_dir(reports_dir, batch_id)
    folder.mkdir(parents=True, exist_ok=True)
    out = rejects_csv_path(reports_dir, batch_id)
    (rejected,) = warehouse.run(conn, "reports/batch_rejects_count", batch_id=batch_id).fetchone()
    cur = warehouse.run(conn, "reports/batch_rejects", batch_id=batch_id, max_rows=cap)
    written = 0
    tmp = out.with_suffix(".csv.tmp")
    with tmp.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(REJECTS_HEADER)
        while chunk := cur.fetchmany(FETCH_ROWS):
            for row_number, line_number, column, code, message, reasons, raw_row in chunk:
                value = (raw_row or {}).get(FIELDS.get(column or "", ""), None) if column else None
                writer.writerow([row_number, line_number, column or "", code, neutralize_formula(message),
                                 " ".join(reasons), safe_value(column, value)])
            written += len(chunk)
    note = rejects_note(batch_id, rows_rejected=rejected, rows_in_csv=written)
    note_tmp = folder / f"{REJECTS_NOTE}.tmp"
    note_tmp.write_text(json.dumps(note, indent=2) + "\n", encoding="utf-8")
    note_tmp.replace(folder / REJECTS_NOTE)  # the note first: it is read only beside a rejects.csv
    tmp.replace(out)
    return out


def all_rejects_query(batch_id: int) -> str:
    """`sql/reports/batch_rejects_all.sql` on one line with the batch id filled in: for people to
    run with `optline query` (it shows no value, only row, line, column and reason)."""
    text = "\n".join(line for line in warehouse.sql_text("reports/batch_rejects_all").splitlines()
                     if not line.lstrip().startswith("--"))
    return " ".join(re.sub(r"\$batch_id\b", str(int(batch_id)), text).split())


def rejects_note(batch_id: int, *, rows_rejected: int, rows_in_csv: int) -> dict:
    """What `rejects_summary.json` says: the counts, and where to get every rejected row."""
    query = all_rejects_query(batch_id)
    return {
        "batch_id": int(batch_id),
        "rows_rejected": int(rows_rejected),
        "rows_in_csv": int(rows_in_csv),
        "rows_left_out": int(rows_rejected) - int(rows_in_csv),
        "csv": REJECTS_CSV,
        "warehouse_query": query,
        "command": f'optline query "{query}" --max-rows {int(rows_rejected)}',
    }


def read_rejects_note(folder: Path) -> dict | None:
    """The batch folder's `rejects_summary.json`, or None (none written, or unreadable)."""
    try:
        return json.loads((folder / REJECTS_NOTE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


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
    rejects = rejects_csv_path(reports_dir, batch_id) if reports_dir else None
    note = read_rejects_note(rejects.parent) if rejects and rejects.exists() else None
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
        rejects_in_csv=note["rows_in_csv"] if note else None,
        rejects_query=note["command"] if note and note["rows_left_out"] > 0 else None,
        clock_override=clock_override,
        lookups=lookup_counts(conn, batch_id),
    )


def lookup_counts(conn: duckdb.DuckDBPyConnection, batch_id: int) -> dict | None:
    """The batch's line-type lookup counts (`ops.batch_lookups`), None when it made none."""
    rows = [r for r in warehouse.fetch_dicts(conn, "lookup/batch_lookups", batch_id=batch_id)
            if r["kind"] == "line_type"]
    if not rows:
        return None
    row = rows[0]
    return {k: row[k] for k in ("provider", "numbers", "looked_up", "from_cache", "unavailable", "action", "reason")}


def lookups_text(conn: duckdb.DuckDBPyConnection, batch_id: int) -> str | None:
    """The batch's `lookups_line`, None when it made no lookups (the review report's line)."""
    counts = lookup_counts(conn, batch_id)
    return lookups_line(counts) if counts else None


def lookups_line(lookups: dict) -> str:
    """"line-type lookups (twilio): 12 numbers, 5 looked up, 7 from the cache, 0 unanswered"."""
    text = (f"line-type lookups ({lookups['provider']}): {lookups['numbers']:,} numbers, {lookups['looked_up']:,} "
            f"looked up, {lookups['from_cache']:,} from the cache, {lookups['unavailable']:,} unanswered")
    if lookups["unavailable"]:
        text += f" ({lookups['reason']}; policy: {lookups['action']})"
    return text


def rejected_rows_line(s: FileSummary) -> str:
    """"rejected rows: 7 in <path>", or, when rejects.csv stopped at its cap, "rejected rows:
    280,000 (first 100,000 in <path>; all 280,000 in the warehouse: optline query "..." ...)"."""
    in_csv = s.rows_rejected if s.rejects_in_csv is None else s.rejects_in_csv
    if s.rejects_query and in_csv < s.rows_rejected:
        return (f"rejected rows: {s.rows_rejected:,} (first {in_csv:,} in {s.rejects_csv}; "
                f"all {s.rows_rejected:,} in the warehouse: {s.rejects_query})")
    return f"rejected rows: {s.rows_rejected:,} in {s.rejects_csv}"


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
        if s.lookups:
            lines.append(f"\n{s.file_name}: {lookups_line(s.lookups)}")
        if s.error:
            lines.append(f"\n{s.file_name}: FAILED: {s.error}")
        elif s.rejected_by_reason:
            reasons = ", ".join(f"{code} {n}" for code, n in s.rejected_by_reason.items())
            lines.append(f"\n{s.file_name}: rejected by reason: {reasons}")
            if s.rejects_csv:
                lines.append(f"  {rejected_rows_line(s)}")
    return "\n".join(lines)
