"""Bulk opt-out files: every valid row appends an opt-out to the consent ledger.

A file (CSV, XLSX, or one number per line) with its manifest lands in the opt-out inbox
(`inbox()`: OPTLINE_OPTOUT_INBOX, else `$OPTLINE_DATA_DIR/optouts/`). `apply_file` reads it whole, in
one transaction: every row is staged as text (`staging.optout_rows`), numbers are parsed
once per distinct value, `sql/optouts/outcomes_insert.sql` matches the rows to contacts
(by contact id, by number narrowed by names and extra columns, or by email), and one
`opt_out` event per suppressed number and scope is appended to `core.consent_events`,
keyed by the number's HMAC. A file already applied (same bytes, same settings) is not
read again. A report per file goes to `reports/optouts/<batch>/`. See docs/optouts.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from optline import ids, warehouse
from optline.config import hmac_key, paths
from optline.intake.chunks import registered, staged_chunks, table
from optline.intake.columns import is_header, resolve_columns, shown_headers
from optline.intake.discovery import discover, require_inside
from optline.intake.errors import INPUT_ERRORS, ReconciliationError
from optline.intake.fields import field_for_header, header_key
from optline.intake.identity import import_key, sha256_of
from optline.intake.manifest import (
    ManifestSettings,
    check_mapping,
    check_texts,
    default_country,
    file_settings,
    key_error,
    read_yaml,
    require_manifest,
)
from optline.intake.readers import MalformedFileError, clean_cell, file_format, first_filled, open_records, prepend
from optline.intake.report_dirs import report_dir
from optline.intake.summary import format_table
from optline.masking import mask_phone, neutralize_formula
from optline.phones import number_hmac, parse_many
from optline.quality import suites as quality
from optline.runs import RunContext
from optline.samples import write_csv, write_manifest

log = logging.getLogger(__name__)

KIND = "optouts"  # the import keys' prefix and the reports' folder
SCOPES = ("all", "sms", "whatsapp")
# The channels an opt-out of each scope suppresses (core.consent_state).
SCOPE_CHANNELS = {"all": ("sms", "whatsapp"), "sms": ("sms",), "whatsapp": ("whatsapp",)}
OUTCOMES = ("matched", "suppressed_unmatched", "invalid")

# opt-out field -> staging.optout_rows column
FIELDS: dict[str, str] = {
    "contact_id": "contact_id_raw",
    "phone": "phone_raw",
    "first_name": "first_name",
    "last_name": "last_name",
    "email": "email",
    "address_line1": "address_line1",
    "company": "company",
    "opt_out_date": "opted_out_at_raw",
    "scope": "scope_raw",
}
IDENTIFIERS = ("contact_id_raw", "phone_raw", "email")
# Header spellings of the opt-out's own fields; the contact fields come from optline.intake.fields.
_OWN_ALIASES: dict[str, tuple[str, ...]] = {
    "contact_id": ("contactid", "id", "contact", "numerocontactid", "profileid", "recordid"),
    "phone": ("primaryphone", "phoneoptout", "optedoutnumber", "optoutnumber", "number"),
    "opt_out_date": (
        "optoutdate", "optout", "optedout", "optedoutdate", "optedoutat", "optoutat", "optouttimestamp",
        "unsubscribedat", "unsubscribed", "unsubscribedate", "unsubscribeddate", "unsubscribedon",
        "date", "stopdate", "primaryphoneoptoutdate", "10dlclocaloptedoutdate",
    ),
    "scope": ("scope", "optoutscope", "optouttype", "channel"),
}
_ALIASES = {alias: fld for fld, names in _OWN_ALIASES.items() for alias in names}
_MANIFEST_KEYS = {"scope", "default_country", "source", "method", "date_order", "header", "delimiter",
                  "encoding", "columns", "sheet"}
CHUNK_ROWS = 100_000
_BATCH_ID = {"batch_id": pa.int64()}


def inbox() -> Path:
    """Where opt-out files wait: OPTLINE_OPTOUT_INBOX, else `$OPTLINE_DATA_DIR/optouts` (read at call time)."""
    return paths().optout_inbox


# --- the manifest ----------------------------------------------------------------------------

@dataclass(frozen=True)
class OptoutManifest(ManifestSettings):
    scope: str = "all"
    default_country: str = "US"
    source: str = "bulk opt-out file"
    method: str = "file_import"
    date_order: str = "auto"
    header: bool | None = None  # None: decide from the first row
    delimiter: str | None = None  # None: detect
    encoding: str = "auto"
    columns: dict[str, str | int] = field(default_factory=dict)
    sheet: str | None = None
    path: str | None = None


def load_manifest(data_file: Path) -> OptoutManifest:
    path = require_manifest(data_file, ", e.g. `scope: all` and `source: <where the opt-outs come from>`; "
                                       "see docs/optouts.md")
    return parse_manifest(read_yaml(path), source=path)


def parse_manifest(raw: Any, source: Path | None = None) -> OptoutManifest:
    """Validate an opt-out manifest; every error names the manifest file and the key."""
    where = source.name if source else "manifest"
    fail = key_error(where)
    check_mapping(raw, where, _MANIFEST_KEYS)
    scope = str(raw.get("scope", "all")).lower()
    if scope not in SCOPES:
        raise fail("scope", f"must be one of {SCOPES} (all = every phone channel, sms = texts only)")
    country = default_country(raw, where)
    check_texts(raw, ("source", "method"), where)
    reading = file_settings(raw, fail, FIELDS)
    return OptoutManifest(
        scope=scope, default_country=country,
        source=str(raw.get("source", OptoutManifest.source)).strip(),
        method=str(raw.get("method", OptoutManifest.method)).strip(),
        **reading, sheet=raw.get("sheet"), path=str(source) if source else None,
    )


# --- reading ---------------------------------------------------------------------------------

def field_for(header: str) -> str | None:
    """The opt-out field a header names: its own spellings first, then the contact fields'."""
    key = header_key(header)
    fld = _ALIASES.get(key) or field_for_header(header)
    return fld if fld in FIELDS else None


def map_columns(header: list[str | None] | None, manifest: OptoutManifest, first_row: list[str | None],
                file_name: str) -> dict[str, int]:
    """staging column -> cell index, from the manifest's `columns:` and the recognized headers."""
    by_field = resolve_columns(header, manifest.columns, first_row, file_name, field_for)
    if not header and not by_field and len(first_row) == 1:
        by_field["phone"] = 0
    if not {FIELDS[f] for f in by_field} & set(IDENTIFIERS):
        if header:
            raise MalformedFileError(file_name, 1, "no contact id, phone or email column among the headers "
                                     f"{shown_headers(header)}; add e.g. `columns: {{phone: <header>}}` "
                                     "to the manifest")
        raise MalformedFileError(file_name, 1, "no header and several columns; map them in the manifest, "
                                 "e.g. `columns: {phone: 1, opt_out_date: 2}`")
    return {FIELDS[f]: i for f, i in by_field.items()}


# --- applying a file -------------------------------------------------------------------------

@dataclass
class OptoutResult:
    """How one opt-out file stands: counts and reason codes only, no personal data."""
    file_name: str
    status: str  # applied | already applied | failed
    batch_id: int | None = None
    scope: str | None = None
    lines_read: int = 0
    matched: int = 0
    suppressed_unmatched: int = 0
    invalid: int = 0
    contacts_matched: int = 0
    events_appended: int = 0
    invalid_by_reason: dict[str, int] = field(default_factory=dict)
    report_dir: str | None = None
    error: str | None = None

    def as_dict(self) -> dict:
        """Every field: the report's and the run summary's `summary.json`."""
        return asdict(self)

    def as_xcom(self) -> dict:
        """The counts (and the file's name), fit for XCom and logs."""
        return {"file_name": self.file_name, "batch_id": self.batch_id, "status": self.status,
                "lines_read": self.lines_read, "matched": self.matched,
                "suppressed_unmatched": self.suppressed_unmatched, "invalid": self.invalid,
                "events_appended": self.events_appended}


def _parse_numbers(conn: duckdb.DuckDBPyConnection, batch_id: int, default_country: str) -> None:
    raws = [r[0] for r in warehouse.run(conn, "optouts/distinct_phone_raws", batch_id=batch_id).fetchall()]
    parsed = parse_many(raws, default_country)
    parses = table({"batch_id": [batch_id] * len(raws), "phone_raw": raws, "e164": [p.e164 for p in parsed],
                    "parse_error": [p.error for p in parsed]}, _BATCH_ID)
    with registered(conn, "optout_phone_parse_results", parses):
        warehouse.run(conn, "optouts/phone_parses_insert")


def _hmac_numbers(conn: duckdb.DuckDBPyConnection, batch_id: int) -> int:
    """HMAC every number the batch suppresses, once per distinct number."""
    key = hmac_key()
    numbers = [r[0] for r in warehouse.run(conn, "optouts/distinct_numbers", batch_id=batch_id).fetchall()]
    hmacs = table({"batch_id": [batch_id] * len(numbers), "e164": numbers,
                   "number_hmac": [number_hmac(n, key) for n in numbers]}, _BATCH_ID)
    with registered(conn, "optout_number_hmacs", hmacs):
        warehouse.run(conn, "optouts/numbers_insert")
    return len(numbers)


def _arrival(path: Path, as_of: dt.datetime) -> dt.datetime:
    """When the file arrived: its modification time, never later than the run's clock."""
    mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)
    return min(mtime, as_of)


def apply_file(conn: duckdb.DuckDBPyConnection, path: Path, run: RunContext, reports_dir: Path) -> OptoutResult:
    """Apply one opt-out file, all or nothing, and write its report. A file already applied is
    not read again. Input errors raise (intake.errors.INPUT_ERRORS) before anything is written."""
    hmac_key()  # the configuration first: a ConfigError before the file is read
    require_inside(path, inbox())  # no link out of its folder, no named pipe: before anything opens it
    manifest = load_manifest(path)
    fmt = file_format(path)
    file_sha = sha256_of(path)
    key = import_key(file_sha, manifest, KIND)
    existing = warehouse.run(conn, "optouts/batch_find", import_key=key).fetchone()
    if existing:
        log.info("%s: already applied as opt-out batch %s; not read again", path.name, existing[0])
        return result_for(conn, existing[0], reports_dir, already_applied=True)

    records, how = open_records(path, fmt, encoding=manifest.encoding, delimiter=manifest.delimiter,
                                sheet=manifest.sheet)
    _, leading = first_filled(records, path.name)  # blank rows above the first are not rows
    first_cells = [clean_cell(c) for c in leading[1]]
    has_header = manifest.header if manifest.header is not None else is_header(first_cells, manifest.columns, field_for)
    header = first_cells if has_header else None
    cmap = map_columns(header, manifest, first_cells, path.name)
    names = [h or f"column_{i + 1}" for i, h in enumerate(header or [])]
    data = records if has_header else prepend([leading], records)
    date_order = manifest.effective_date_order()
    arrived = _arrival(path, run.as_of)

    with warehouse.transaction(conn):
        batch_id = ids.insert_one(
            conn, "optouts/batch_insert", "batch_id",
            import_key=key, file_name=path.name, file_path=str(path), file_sha256=file_sha,
            file_bytes=path.stat().st_size, file_format=fmt, encoding=how["encoding"], delimiter=how["delimiter"],
            has_header=has_header, manifest_path=manifest.path, manifest=json.dumps(manifest.settings()),
            scope=manifest.scope, default_country=manifest.default_country, source=manifest.source,
            method=manifest.method, default_opted_out_at=arrived, dag_id=run.dag_id,
            run_id=run.run_id, as_of=run.as_of,
        )
        read = 0
        for chunk in staged_chunks(data, batch_id=batch_id, data_columns=list(FIELDS.values()), by_column=cmap,
                                   width=len(header) if header else None, names=names, chunk_rows=CHUNK_ROWS):
            with registered(conn, "optout_chunk", chunk):
                warehouse.run(conn, "optouts/rows_insert")
            read += chunk.num_rows
        _parse_numbers(conn, batch_id, manifest.default_country)
        warehouse.run(conn, "optouts/outcomes_insert", batch_id=batch_id, date_order=date_order,
                      default_opted_out_at=arrived, scope=manifest.scope,
                      default_country=manifest.default_country, as_of=run.as_of)
        _hmac_numbers(conn, batch_id)
        events = len(ids.insert(conn, "optouts/consent_events_insert", "consent_event_id", batch_id=batch_id))
        counts = warehouse.fetch_dicts(conn, "optouts/outcome_counts", batch_id=batch_id)[0]
        staged = warehouse.run(conn, "optouts/staged_row_count", batch_id=batch_id).fetchone()[0]
        reconcile(path.name, read, staged, counts)
        warehouse.run(conn, "optouts/batch_set_counts", batch_id=batch_id, lines_read=read,
                      rows_matched=counts["rows_matched"],
                      rows_suppressed_unmatched=counts["rows_suppressed_unmatched"],
                      rows_invalid=counts["rows_invalid"], contacts_matched=counts["contacts_matched"],
                      events_appended=events)
    quality.observe(conn, batch_id, "opt_out_file")  # after the commit: recorded, never blocking
    result = result_for(conn, batch_id, reports_dir)
    write_report(conn, result, reports_dir)
    log.info("%s: opt-out batch %d applied: %d read, %d matched, %d suppressed unmatched, %d invalid %s; "
             "%d consent event(s) appended", path.name, batch_id, result.lines_read, result.matched,
             result.suppressed_unmatched, result.invalid, result.invalid_by_reason, result.events_appended)
    return result


def reconcile(file_name: str, lines_read: int, rows_staged: int, counts: dict[str, int]) -> None:
    """lines read = rows staged = matched + suppressed_unmatched + invalid, or the batch fails."""
    judged = counts["rows_matched"] + counts["rows_suppressed_unmatched"] + counts["rows_invalid"]
    if not lines_read == rows_staged == counts["rows_judged"] == judged:
        raise ReconciliationError(
            f"{file_name}: read {lines_read} rows, staged {rows_staged}, judged {counts['rows_judged']}, "
            f"but matched + suppressed_unmatched + invalid = {judged}; nothing from the file was applied")


def result_for(conn: duckdb.DuckDBPyConnection, batch_id: int, reports_dir: Path, *,
               already_applied: bool = False) -> OptoutResult:
    """How the batch `batch_id` stands (already applied: nothing more matched or appended now)."""
    row = warehouse.fetch_dicts(conn, "optouts/batch_summary", batch_id=batch_id)[0]
    by_reason = dict(warehouse.run(conn, "optouts/invalid_by_reason", batch_id=batch_id).fetchall())
    out = report_dir(reports_dir, KIND, batch_id)
    return OptoutResult(
        file_name=row["file_name"], status="already applied" if already_applied else "applied", batch_id=batch_id,
        scope=row["scope"], lines_read=row["lines_read"], matched=row["rows_matched"] or 0,
        suppressed_unmatched=row["rows_suppressed_unmatched"] or 0, invalid=row["rows_invalid"] or 0,
        contacts_matched=0 if already_applied else row["contacts_matched"] or 0,
        events_appended=0 if already_applied else row["events_appended"] or 0,
        invalid_by_reason=by_reason, report_dir=str(out) if out.exists() else None,
    )


def file_result(conn: duckdb.DuckDBPyConnection, path: Path, run_id: str | None,
                reports_dir: Path) -> OptoutResult:
    """How an opt-out inbox file stands in the warehouse, as seen by the run `run_id` (a batch
    another run applied is `already applied`); a file not applied is `failed`, with the error."""
    try:
        key = import_key(sha256_of(path), load_manifest(path), KIND)
    except INPUT_ERRORS as exc:
        return OptoutResult(file_name=path.name, status="failed", error=str(exc))
    found = warehouse.run(conn, "optouts/batch_find", import_key=key).fetchone()
    if found is None:
        return OptoutResult(file_name=path.name, status="failed",
                            error="not applied: see the apply task's log for this file")
    batch_id, batch_run = found
    return result_for(conn, batch_id, reports_dir, already_applied=run_id is not None and batch_run != run_id)


def apply_inbox(conn: duckdb.DuckDBPyConnection, folder: Path, run: RunContext,
                reports_dir: Path) -> list[OptoutResult]:
    """Apply every file of a folder (CLI, demo); a bad file becomes a failed result."""
    results = []
    for found in discover(folder):
        try:
            results.append(apply_file(conn, found.path, run, reports_dir))
        except INPUT_ERRORS as exc:
            log.error("%s", exc)
            results.append(OptoutResult(file_name=found.name, status="failed", error=str(exc)))
    return results


# --- reports ---------------------------------------------------------------------------------

REPORT_HEADER = ["row_number", "line_number", "outcome", "reason_code", "column", "message", "matched_by",
                 "scope", "contact_ids", "phone"]


def write_report(conn: duckdb.DuckDBPyConnection, result: OptoutResult, reports_dir: Path) -> Path:
    """`reports/optouts/<batch>/summary.json` and `rows.csv` (numbers masked, formulas neutralized)."""
    assert result.batch_id is not None
    out = report_dir(reports_dir, KIND, result.batch_id)
    out.mkdir(parents=True, exist_ok=True)
    result.report_dir = str(out)
    (out / "summary.json").write_text(json.dumps(result.as_dict(), indent=2), encoding="utf-8")
    tmp = out / "rows.csv.tmp"
    with tmp.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(REPORT_HEADER)
        for (row_number, line_number, outcome, code, column, detail, matched_by, scope, contact_ids,
             phone_raw) in warehouse.run(conn, "optouts/report_rows", batch_id=result.batch_id).fetchall():
            writer.writerow([row_number, line_number, outcome, code or "", column or "",
                             neutralize_formula(detail), matched_by or "", scope or "",
                             " ".join(str(c) for c in contact_ids), neutralize_formula(mask_phone(phone_raw))])
    tmp.replace(out / "rows.csv")
    return out


def format_summary(results: list[OptoutResult]) -> str:
    """A plain-text table, one line per file, then the invalid rows' reasons per file."""
    head = ("file", "status", "batch", "scope", "read", "matched", "unmatched", "invalid", "events")
    lines = format_table(head, [(s.file_name, s.status, str(s.batch_id or "-"), s.scope or "-", str(s.lines_read),
                                 str(s.matched), str(s.suppressed_unmatched), str(s.invalid), str(s.events_appended))
                                for s in results])
    for s in results:
        if s.invalid_by_reason:
            lines.append(f"{s.file_name}: invalid rows by reason: "
                         + ", ".join(f"{k} {v}" for k, v in sorted(s.invalid_by_reason.items())))
        if s.error:
            lines.append(f"{s.file_name}: {s.error}")
    return "\n".join(lines)


# --- demo samples ----------------------------------------------------------------------------

def write_samples(folder: Path, as_of: dt.date) -> list[Path]:
    """A small opt-out export for the demo, with its manifest; an existing file is kept.

    Against the demo's contact samples (store_events.xlsx): Tia Lee's and Uma Ng's numbers
    match, an email matches Sam Roy, one number is unknown (suppressed all the same), one
    row asks for texts only, and two rows are invalid (a short number, an unreadable date).
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "support_desk_unsubscribes.csv"
    if path.exists():
        return []
    d = lambda n: (as_of - dt.timedelta(days=n)).strftime("%m/%d/%Y")  # noqa: E731 (US order)
    rows = [
        ["Primary Phone", "First Name", "Last Name", "Email", "Opt Out Date", "Scope"],
        ["+1 (702) 555-0115", "Tia", "Lee", "", d(2), ""],
        ["(702) 555-0116", "", "", "", d(3), "10DLC Local"],
        ["(415) 555-0190", "", "", "", d(1), ""],
        ["", "", "", "sam@example.com", d(4), ""],
        ["555-01", "Bad", "Number", "", d(2), ""],
        ["(702) 555-0117", "Vic", "Fox", "", "yesterday", ""],
    ]
    write_csv(path, rows)
    write_manifest(path, {"scope": "all", "default_country": "US", "source": "support desk unsubscribe requests",
                          "method": "bulk_file"})
    return [path]
