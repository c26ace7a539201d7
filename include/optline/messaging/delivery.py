"""Delivery status reports: the provider says what became of each message we sent.

Files wait in the delivery inbox (`inbox()`: OPTLINE_DELIVERY_INBOX, else
`$OPTLINE_DATA_DIR/delivery/`), no manifest needed:

- a status export, `.csv` / `.tsv` with a header (a Twilio console or BigQuery export):
  message id `MessageSid` | `Sid` | `SmsSid` | `message_id` | `id`, status `MessageStatus` |
  `Status` | `SmsStatus`, optional error code `ErrorCode` and time `Timestamp` | `DateUpdated` |
  `RawDlrDoneDate`; every other column (To, From, Body, ...) is ignored, never read into anything;
- status callbacks saved as files, one callback per line: `.jsonl` / `.ndjson` (a JSON
  object per line) or `.txt` / `.log` (each line a URL-encoded form body as Twilio posts it,
  `MessageSid=SM...&MessageStatus=delivered&ErrorCode=30003`, or a JSON object).

Each file is applied once (the sha256 of its bytes is recorded; the same bytes again change
nothing), whole, in one transaction. Every line read ends as `applied` (it names one of our
messages), `unmatched` (valid, but the id is not one of ours: kept with `outbox_id` null) or
`invalid` (with a reason); lines read = applied + unmatched + invalid, checked before commit.
A file that cannot be read as a whole (undecodable, no message id or status column) raises
`MalformedFileError` naming the file and line, and nothing is written. A report per file goes
to `reports/delivery/<file stem>-<first 8 of sha256>.json`.

A message's `msg.outbox.delivery_status` moves to a report's status when it is at least as
advanced (queued/accepted/scheduled < sending < sent < delivered/undelivered/failed < read);
at the same rank the newer report wins (by `reported_at`; no time: the application time),
then the later one in file order. `msg.outbox.status` stays as it is (`sent`).

No number, no body and no message id goes into a log, a report or an error message.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from optline import warehouse
from optline.config import paths
from optline.intake.chunks import registered, rows_table
from optline.intake.discovery import require_inside
from optline.intake.errors import ReconciliationError
from optline.intake.fields import header_key
from optline.intake.identity import sha256_of
from optline.intake.outcomes import count_outcomes, reconcile_lines
from optline.intake.readers import (
    MalformedFileError,
    clean_cell,
    detect_encoding,
    open_records,
    open_text,
    read_lines,
)
from optline.intake.summary import iso_utc
from optline.runs import RunContext

log = logging.getLogger(__name__)

KIND = "delivery"  # the reports' folder
# Twilio's message statuses, and how far along each is (a report moves a message's delivery
# status only forward, or sideways to a newer report). Mirrored in sql/delivery/outbox_update.sql.
STATUS_RANK: dict[str, int] = {
    "queued": 0, "accepted": 0, "scheduled": 0,
    "sending": 1, "receiving": 1,
    "sent": 2,
    "delivered": 3, "undelivered": 3, "failed": 3, "received": 3, "canceled": 3,
    "read": 4,
}
STATUSES = frozenset(STATUS_RANK)
_STATUS_SPELLINGS = {"cancelled": "canceled"}

# Field spellings, compared by optline.intake.fields.header_key (case, spaces, punctuation ignored),
# in order of preference when a file has more than one.
FIELDS: dict[str, tuple[str, ...]] = {
    "provider_message_id": ("messagesid", "smssid", "sid", "messageid", "providermessageid", "id"),
    "status": ("messagestatus", "smsstatus", "status", "deliverystatus"),
    "error_code": ("errorcode",),
    "reported_at": ("timestamp", "dateupdated", "rawdlrdonedate"),
}
_SPELLING_FIELD = {spelling: name for name, spellings in FIELDS.items() for spelling in spellings}

CSV_SUFFIXES = (".csv", ".tsv")
JSON_LINE_SUFFIXES = (".jsonl", ".ndjson")
CALLBACK_SUFFIXES = JSON_LINE_SUFFIXES + (".txt", ".log")

OUTCOMES = ("applied", "unmatched", "invalid")
# staging.delivery_lines' columns as read (sql/delivery/lines_insert.sql)
_LINE_COLUMNS = ("row_number", "line_number", "provider_message_id", "status", "error_code", "reported_at", "reason")
_LINE_TYPES = {"row_number": pa.int64(), "line_number": pa.int64(), "reported_at": pa.timestamp("us", tz="UTC")}
# Why a line is invalid, in the order checked.
REASONS = ("blank_line", "extra_fields", "invalid_json", "unreadable_line", "missing_message_id",
           "invalid_message_id", "missing_status", "unknown_status", "invalid_error_code", "invalid_reported_at",
           "future_reported_at")

_MESSAGE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}")
_ERROR_CODE = re.compile(r"\d{1,6}|[A-Za-z][A-Za-z0-9_.-]{0,31}")
_RAW_DLR = re.compile(r"\d{10}(\d{2})?")
_EPOCH = re.compile(r"\d{10}(\.\d+)?|\d{13}")
_MAX_INVALID_IN_REPORT = 1000


class DeliveryError(RuntimeError):
    """Delivery files could not be applied; nothing from those was written."""


class DeliveryInboxError(DeliveryError):
    """Some files of the inbox could not be applied; the others were. `results` holds what was
    applied, `failures` (file name, message) what was not."""

    def __init__(self, results: list[DeliveryResult], failures: list[tuple[str, str]]):
        self.results, self.failures = results, failures
        listed = "; ".join(message for _, message in failures)
        super().__init__(f"{len(failures)} delivery file(s) not applied ({len(results)} applied): {listed}")


@dataclass(frozen=True)
class DeliveryResult:
    """One file's outcome: counts only (no id, no number)."""
    file_name: str
    file_sha256: str
    already_applied: bool
    lines_read: int
    applied: int
    unmatched: int
    invalid: int
    messages_updated: int
    by_status: dict[str, dict[str, int]] = field(default_factory=dict)  # status -> {applied, unmatched}
    invalid_by_reason: dict[str, int] = field(default_factory=dict)
    report_path: str = ""

    def as_xcom(self) -> dict[str, Any]:
        """The counts (and the file's name), fit for XCom and logs."""
        d = asdict(self)
        for key in ("file_sha256", "report_path"):
            d.pop(key)
        return d


def inbox() -> Path:
    """Where delivery status files wait: OPTLINE_DELIVERY_INBOX, else `$OPTLINE_DATA_DIR/delivery`."""
    return paths().delivery_inbox


def report_path_for(reports_dir: Path, file_name: str, file_sha256: str) -> Path:
    """`<reports>/delivery/<file stem>-<first 8 of sha256>.json` (a file has no batch id: its
    bytes name it)."""
    return reports_dir / KIND / f"{Path(file_name).stem}-{file_sha256[:8]}.json"


# --- reading --------------------------------------------------------------------------------

@dataclass(frozen=True)
class DeliveryFile:
    """A file read whole: its lines (one dict per line read) and how it was read."""
    file_format: str  # csv | callbacks
    encoding: str | None
    delimiter: str | None
    lines: list[dict[str, Any]]


def _text(value: Any) -> str | None:
    """A field's value as trimmed text (JSON numbers as written, 30003.0 as 30003)."""
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean_cell(value)


def parse_reported_at(value: str, spelling: str) -> dt.datetime | None:
    """A status time: ISO 8601 (no offset: UTC), `... UTC`, RFC 2822 (Twilio's date_updated),
    Unix seconds or milliseconds; `RawDlrDoneDate` as YYMMDDhhmm[ss] in UTC. None if unreadable."""
    text = value.strip()
    parsed: dt.datetime | None = None
    if spelling == "rawdlrdonedate" and _RAW_DLR.fullmatch(text):
        try:
            parsed = dt.datetime.strptime(text, "%y%m%d%H%M%S" if len(text) == 12 else "%y%m%d%H%M")
        except ValueError:
            return None
    elif _EPOCH.fullmatch(text):
        seconds = int(text) / 1000 if len(text) == 13 else float(text)
        return dt.datetime.fromtimestamp(seconds, dt.UTC)
    else:
        iso = re.sub(r"\s*(UTC|GMT|Z)$", "+00:00", text, flags=re.IGNORECASE)
        try:
            parsed = dt.datetime.fromisoformat(iso)
        except ValueError:
            try:
                parsed = email.utils.parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError):
                return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def check_line(fields: dict[str, tuple[str, str | None]], applied_at: dt.datetime) -> dict[str, Any]:
    """A line's values (field -> (spelling, value)) checked: normalized values and the reason
    it is invalid, if it is."""
    def value(name: str) -> tuple[str, str | None]:
        return fields.get(name, ("", None))

    message_id = value("provider_message_id")[1]
    status_raw = value("status")[1]
    error_code = value("error_code")[1]
    spelling, time_raw = value("reported_at")
    status = status_raw.lower() if status_raw else None
    status = _STATUS_SPELLINGS.get(status, status) if status else None
    reported_at = parse_reported_at(time_raw, spelling) if time_raw else None

    reason = None
    if message_id is None:
        reason = "missing_message_id"
    elif not _MESSAGE_ID.fullmatch(message_id):
        reason = "invalid_message_id"
    elif status is None:
        reason = "missing_status"
    elif status not in STATUSES:
        reason = "unknown_status"
    elif error_code is not None and not _ERROR_CODE.fullmatch(error_code):
        reason = "invalid_error_code"
    elif time_raw is not None and reported_at is None:
        reason = "invalid_reported_at"
    elif reported_at is not None and reported_at > applied_at:
        reason = "future_reported_at"
    valid = reason is None
    # an invalid line keeps nothing it could not vouch for (a misplaced number, a body)
    return {
        "provider_message_id": message_id if reason not in ("missing_message_id", "invalid_message_id") else None,
        "status": status if status in STATUSES else None,
        "error_code": error_code if valid else None,
        "reported_at": reported_at if valid else None,
        "reason": reason,
    }


def _pick(pairs: Iterator[tuple[str, Any]]) -> dict[str, tuple[str, str | None]]:
    """From (key, value) pairs, the fields we read, by preference of spelling; the rest
    (To, From, Body, ...) is dropped unread."""
    found: dict[str, tuple[int, str, str | None]] = {}
    for key, raw in pairs:
        spelling = header_key(str(key))
        name = _SPELLING_FIELD.get(spelling)
        if name is None:
            continue
        preference = FIELDS[name].index(spelling)
        value = _text(raw)
        current = found.get(name)
        # the preferred spelling wins; a blank one gives way to a filled one
        if current is None or (value is not None and (current[2] is None or preference < current[0])):
            found[name] = (preference, spelling, value)
    return {name: (spelling, value) for name, (_, spelling, value) in found.items()}


def _blank_line(line_number: int, reason: str = "blank_line") -> dict[str, Any]:
    return {"line_number": line_number, "provider_message_id": None, "status": None, "error_code": None,
            "reported_at": None, "reason": reason}


def read_csv_export(path: Path, applied_at: dt.datetime) -> DeliveryFile:
    """A status export with a header; raises MalformedFileError without the id or status column."""
    records, how = open_records(path, "csv")
    header: list[str | None] | None = None
    columns: dict[str, list[tuple[int, str]]] = {}
    lines: list[dict[str, Any]] = []
    for line_number, cells in records:
        cleaned = [clean_cell(c) for c in cells]
        if header is None:
            if not any(cleaned):
                continue  # blank lines before the header are not data
            header = cleaned
            for index, cell in enumerate(header):
                spelling = header_key(cell or "")
                if spelling in _SPELLING_FIELD:
                    columns.setdefault(_SPELLING_FIELD[spelling], []).append((index, spelling))
            missing = [n for n in ("provider_message_id", "status") if n not in columns]
            if missing:
                wanted = " and no ".join({
                    "provider_message_id": "message id column (MessageSid, Sid, SmsSid, message_id or id)",
                    "status": "status column (MessageStatus, Status, SmsStatus)"}[n] for n in missing)
                raise MalformedFileError(path.name, line_number, f"no {wanted} in the header "
                                         f"({len(header)} columns); a status export needs both")
            continue
        if not any(cleaned):
            lines.append(_blank_line(line_number))
            continue
        if len(cleaned) > len(header) and any(cleaned[len(header):]):
            lines.append(_blank_line(line_number, "extra_fields"))
            continue
        pairs = ((spelling, cleaned[index] if index < len(cleaned) else None)
                 for spellings in columns.values() for index, spelling in spellings)
        lines.append({"line_number": line_number, **check_line(_pick(pairs), applied_at)})
    if header is None:
        raise MalformedFileError(path.name, None, "the file has no rows (it is empty or blank)")
    return DeliveryFile("csv", how["encoding"], how["delimiter"], lines)


def _callback_pairs(line: str, json_only: bool) -> list[tuple[str, Any]] | str:
    """A callback line's (key, value) pairs, or the reason it cannot be read."""
    stripped = line.strip()
    if json_only or stripped.startswith("{"):
        try:
            obj = json.loads(stripped)
        except ValueError:
            return "invalid_json"
        if not isinstance(obj, dict):
            return "invalid_json"
        pairs = list(obj.items())
        if isinstance(obj.get("data"), dict):  # an event wrapping the callback (Twilio Event Streams)
            pairs += list(obj["data"].items())
        return pairs
    if "=" not in stripped or any(c.isspace() for c in stripped):
        return "unreadable_line"
    return urllib.parse.parse_qsl(stripped, keep_blank_values=True, encoding="utf-8", errors="replace")


def read_callbacks(path: Path, applied_at: dt.datetime) -> DeliveryFile:
    """Callbacks, one per line (form body or JSON object); raises MalformedFileError when the
    file cannot be decoded or no line at all carries a message id or status."""
    encoding = detect_encoding(path)
    json_only = path.suffix.lower() in JSON_LINE_SUFFIXES
    lines: list[dict[str, Any]] = []
    recognized = False
    with open_text(path, encoding) as fh:
        for line_number, (text,) in read_lines(fh):
            if not text.strip():
                lines.append(_blank_line(line_number))
                continue
            pairs = _callback_pairs(text, json_only)
            if isinstance(pairs, str):
                lines.append(_blank_line(line_number, pairs))
                continue
            fields = _pick(iter(pairs))
            recognized = recognized or "provider_message_id" in fields or "status" in fields
            lines.append({"line_number": line_number, **check_line(fields, applied_at)})
    if not lines:
        raise MalformedFileError(path.name, None, "the file has no lines (it is empty)")
    if not recognized:
        raise MalformedFileError(path.name, lines[0]["line_number"], "no line is a status callback (none has a "
                                 "MessageSid or MessageStatus field); is this a delivery status file?")
    return DeliveryFile("callbacks", encoding, None, lines)


def read_file(path: Path, applied_at: dt.datetime) -> DeliveryFile:
    """Read a delivery file by its type; raises MalformedFileError naming the file and line."""
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return read_csv_export(path, applied_at)
    if suffix in CALLBACK_SUFFIXES:
        return read_callbacks(path, applied_at)
    raise MalformedFileError(path.name, None, f"unsupported file type {suffix!r} for delivery status; use .csv or "
                             ".tsv (status exports), .jsonl, .ndjson, .txt or .log (callbacks, one per line)")


def _lines_table(lines: list[dict[str, Any]]) -> pa.Table:
    numbered = ({"row_number": row_number, **line} for row_number, line in enumerate(lines, start=1))
    return rows_table(numbered, _LINE_COLUMNS, _LINE_TYPES)


# --- applying -------------------------------------------------------------------------------

def apply_file(conn: duckdb.DuckDBPyConnection, path: Path, run: RunContext, reports_dir: Path) -> DeliveryResult:
    """Apply one delivery file whole (one transaction) at the clock `run.as_of`, and write its
    report. A file already applied (same bytes) is not read again: nothing changes (its report
    is rewritten only if missing). Raises MalformedFileError (nothing written) if unreadable."""
    applied_at = run.as_of
    if applied_at.tzinfo is None:
        raise ValueError("the run's clock (as_of) must be timezone-aware")
    path = Path(path)
    require_inside(path, inbox(), manifest=False)  # no link out of its folder, no named pipe
    file_sha = sha256_of(path)
    known = warehouse.fetch_dicts(conn, "delivery/file_find", file_sha256=file_sha)
    if known:
        log.info("%s: already applied (same bytes as %s); not read again", path.name, known[0]["file_name"])
        result = result_for(conn, file_sha, reports_dir, already_applied=True)
        if not Path(result.report_path).is_file():
            write_report(conn, result, reports_dir)
        return result

    read = read_file(path, applied_at)
    table = _lines_table(read.lines)
    with warehouse.transaction(conn):
        warehouse.run(conn, "delivery/file_insert", file_sha256=file_sha, file_name=path.name,
                      file_path=str(path), file_bytes=path.stat().st_size, file_format=read.file_format,
                      encoding=read.encoding, delimiter=read.delimiter, applied_at=applied_at,
                      lines_read=table.num_rows)
        with registered(conn, "delivery_lines_read", table):
            warehouse.run(conn, "delivery/lines_insert", file_sha256=file_sha, applied_at=applied_at)
        warehouse.run(conn, "delivery/events_insert", file_sha256=file_sha)
        updated = warehouse.run(conn, "delivery/outbox_update", file_sha256=file_sha,
                                applied_at=applied_at).fetchone()[0]
        counts = count_outcomes(warehouse.fetch_dicts(conn, "delivery/outcome_counts", file_sha256=file_sha),
                                OUTCOMES, "lines")
        reconcile_lines(path.name, table.num_rows, counts, OUTCOMES)
        warehouse.run(conn, "delivery/file_set_counts", file_sha256=file_sha, lines_applied=counts["applied"],
                      lines_unmatched=counts["unmatched"], lines_invalid=counts["invalid"],
                      messages_updated=updated)
    result = result_for(conn, file_sha, reports_dir, already_applied=False)
    write_report(conn, result, reports_dir)
    log.info("%s: %d lines read: %d applied, %d unmatched, %d invalid %s; %d message(s) updated",
             path.name, result.lines_read, result.applied, result.unmatched, result.invalid,
             result.invalid_by_reason, result.messages_updated)
    return result


def apply_inbox(conn: duckdb.DuckDBPyConnection, folder: Path, run: RunContext,
                reports_dir: Path) -> list[DeliveryResult]:
    """Apply every file of the folder, in name order (manifests `*.manifest.yaml`,
    `_manifest.yaml`, hidden files and sub-folders skipped). A file that cannot be applied does
    not stop the others: once all were tried, `DeliveryInboxError` lists the bad files (and
    carries the results of those applied). Returns the results when every file applied."""
    results: list[DeliveryResult] = []
    failures: list[tuple[str, str]] = []
    for path in inbox_files(folder):
        try:
            results.append(apply_file(conn, path, run, reports_dir))
        except (MalformedFileError, ReconciliationError) as exc:
            log.error("%s", exc)
            failures.append((path.name, str(exc)))
    if failures:
        raise DeliveryInboxError(results, failures)
    return results


def inbox_files(folder: Path) -> list[Path]:
    """The files `apply_inbox` reads, in name order."""
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.iterdir()
                   if p.is_file() and not p.name.startswith(".") and not p.name.endswith(".manifest.yaml")
                   and p.name != "_manifest.yaml"), key=lambda p: p.name)


def result_for(conn: duckdb.DuckDBPyConnection, file_sha: str, reports_dir: Path, *,
               already_applied: bool) -> DeliveryResult:
    """How the file with the bytes `file_sha` stands: its counts, by status and reason too."""
    row = warehouse.fetch_dicts(conn, "delivery/file_find", file_sha256=file_sha)[0]
    by_status: dict[str, dict[str, int]] = {}
    by_reason: dict[str, int] = {}
    for r in warehouse.fetch_dicts(conn, "delivery/outcome_counts", file_sha256=file_sha):
        if r["outcome"] == "invalid":
            by_reason[r["reason"]] = by_reason.get(r["reason"], 0) + r["lines"]
        else:
            counts = by_status.setdefault(r["status"], {"applied": 0, "unmatched": 0})
            counts[r["outcome"]] += r["lines"]
    return DeliveryResult(
        file_name=row["file_name"], file_sha256=file_sha, already_applied=already_applied,
        lines_read=row["lines_read"], applied=row["lines_applied"], unmatched=row["lines_unmatched"],
        invalid=row["lines_invalid"], messages_updated=row["messages_updated"],
        by_status=dict(sorted(by_status.items())), invalid_by_reason=dict(sorted(by_reason.items())),
        report_path=str(report_path_for(reports_dir, row["file_name"], file_sha)),
    )


# --- report ---------------------------------------------------------------------------------

def write_report(conn: duckdb.DuckDBPyConnection, result: DeliveryResult, reports_dir: Path) -> Path:
    """The file's summary as JSON under reports/delivery/ (`result.report_path`): counts by status
    and outcome, invalid lines by line and reason. No message id, no number, no value read from
    the file."""
    row = warehouse.fetch_dicts(conn, "delivery/file_find", file_sha256=result.file_sha256)[0]
    invalid = warehouse.fetch_dicts(conn, "delivery/invalid_lines", file_sha256=result.file_sha256)
    summary = {
        "file_name": result.file_name,
        "file_sha256": result.file_sha256,
        "file_format": row["file_format"],
        "applied_at": iso_utc(row["applied_at"]),
        "lines_read": result.lines_read,
        "applied": result.applied,
        "unmatched": result.unmatched,
        "invalid": result.invalid,
        "messages_updated": result.messages_updated,
        "by_status": result.by_status,
        "invalid_by_reason": result.invalid_by_reason,
        "invalid_lines": [{"line": r["line_number"], "reason": r["reason"]} for r in invalid[:_MAX_INVALID_IN_REPORT]],
        "invalid_lines_not_listed": max(0, len(invalid) - _MAX_INVALID_IN_REPORT),
    }
    report = report_path_for(reports_dir, result.file_name, result.file_sha256)
    report.parent.mkdir(parents=True, exist_ok=True)
    tmp = report.with_name(f".{report.name}.tmp")
    tmp.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    tmp.replace(report)
    return report
