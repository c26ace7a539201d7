"""List touch-up files: add or remove members and tags, suspend or reactivate numbers.

A CSV with a header: `action`, `phone` and, as the action needs, `list` and `tag`; an
add_member row may carry opt-in evidence, `opted_in_at` and `source`. Actions: add_member,
remove_member (list, phone), add_tag, remove_tag (phone, tag), suspend, reactivate (phone).
Files wait in the touch-up inbox (`inbox()`: OPTLINE_TOUCHUP_INBOX, else
`$OPTLINE_DATA_DIR/touchups/`), with an optional manifest (`default_country`, `encoding`,
`delimiter`, `date_order`). `apply_file` reads a file whole, then applies it in one
transaction, as every other kind of input:

- an add_member row without evidence makes the number's contacts *pending* members; the
  welcome (double opt-in) follows (`messaging.outbox.enqueue_welcomes`, the welcome_messages
  DAG). With evidence (a time not after the run's clock, and a source) it is an `opt_in`
  event in `core.consent_events` (method `touchup`) and an active membership;
- nothing in a touch-up reaches a number the ledger suppresses: add_member and reactivate
  rows for a number suppressed on every channel it has are rejected `previously_opted_out`,
  and an add_member joins only the channels not suppressed;
- every row ends applied or rejected with a reason (REASONS), kept with its batch, row and
  line in `staging.touchup_rows` (no phone number: its HMAC and a masked form); the batch
  (`ops.touchup_batches`) has the file, its sha256, the run and the counts. The same file
  again (same bytes and manifest) changes nothing. A report per file under
  `reports/touchups/<batch>/`. A file with a bad header fails whole. See docs/touchups.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import pyarrow as pa

from optline import ids, warehouse
from optline.config import hmac_key, paths
from optline.contacts import lists
from optline.intake import readers
from optline.intake.bounds import FIELD_TOO_LONG, NAME_CHARS, PHONE_CHARS, TIME_CHARS, bounded
from optline.intake.chunks import registered, rows_table
from optline.intake.columns import looks_like_phone, shown_headers
from optline.intake.discovery import require_inside
from optline.intake.errors import ReconciliationError
from optline.intake.fields import ALIASES, header_key
from optline.intake.identity import import_key, sha256_of
from optline.intake.manifest import (
    ManifestSettings,
    check_mapping,
    create_lists_setting,
    default_country,
    file_settings,
    key_error,
    manifest_path_for,
    read_yaml,
)
from optline.intake.readers import HeadedRows, MalformedFileError
from optline.intake.report_dirs import report_dir
from optline.intake.summary import iso_utc
from optline.masking import mask_phone, neutralize_formula
from optline.phones import number_hmac, parse_distinct
from optline.runs import RunContext
from optline.samples import write_csv, write_manifest

log = logging.getLogger(__name__)

KIND = "touchups"  # the import keys' prefix and the reports' folder
ACTIONS = ("add_member", "remove_member", "add_tag", "remove_tag", "suspend", "reactivate")
OUTCOMES = ("applied", "rejected")
# reason -> what it means (sql/listops/outcomes_set.sql gives them, first that holds)
REASONS = {
    "blank_row": "the row is blank",
    "extra_fields": "the row has more cells than the header",
    FIELD_TOO_LONG: "a cell is longer than its limit (MAX_CELL_CHARS); it was not kept",
    "unknown_action": f"the action is not one of {', '.join(ACTIONS)}",
    "missing_list": "add_member and remove_member need a list",
    "missing_tag": "add_tag and remove_tag need a tag",
    "missing_number": "the row has no phone number",
    "invalid_number": "the phone number does not parse",
    "evidence_not_applicable": "opted_in_at/source are opt-in evidence for add_member rows only",
    "invalid_opted_in_at": "the opt-in time cannot be read",
    "future_opted_in_at": "the opt-in time is after the run's clock",
    "missing_source": "an opt-in time without a source",
    "missing_opted_in_at": "a source without an opt-in time",
    "unknown_number": "no contact has the number: import it first",
    "previously_opted_out": "the ledger suppresses the number on every channel it has",
}
CONSENT_METHOD = "touchup"  # sql/listops/consent_events_insert.sql

# staging column -> header spellings (optline.intake.fields.header_key), best first
HEADERS: dict[str, tuple[str, ...]] = {
    "action_raw": ("action", "operation", "op"),
    "phone_raw": ("phone", "phonenumber", "number", "mobile", "mobilenumber", "msisdn",
                  *sorted(alias for alias, fld in ALIASES.items() if fld == "phone")),
    "list_raw": ("list", "listname"),
    "tag_raw": ("tag", "tagname"),
    "opted_in_at_raw": ("optedinat", "optinat", "optedin", "optindate", "optintime", "optintimestamp",
                        "consentat", "consentdate", "consenttime"),
    "source_raw": ("source", "optinsource", "consentsource"),
}
_REQUIRED = ("action_raw", "phone_raw")
# The longest cell kept (optline.intake.bounds): a list, tag or source becomes a name kept for
# good. A longer cell rejects its row (`field_too_long`) and is not stored.
MAX_CELL_CHARS = {"action_raw": 32, "phone_raw": PHONE_CHARS, "list_raw": NAME_CHARS, "tag_raw": NAME_CHARS,
                  "opted_in_at_raw": TIME_CHARS, "source_raw": NAME_CHARS}
_ROW_COLUMNS = ("row_number", "line_number", "read_issue", "action_raw", "list_raw", "tag_raw", "phone_masked",
                "number_hmac", "parse_error", "opted_in_at_raw", "source_raw")
_ROW_TYPES = {"row_number": pa.int64(), "line_number": pa.int64()}
_MANIFEST_KEYS = {"default_country", "encoding", "delimiter", "date_order", "create_lists"}
# the actions whose `list` names a list (with `create_lists: false` it must exist)
_LIST_ACTIONS = ("add_member", "remove_member")
# the statements that apply a batch's tag rows, in order (after the memberships removed and the
# new tags inserted)
_TAG_STEPS = ("listops/contact_tags_add", "listops/contact_tags_remove")


def inbox() -> Path:
    """Where touch-up files wait: OPTLINE_TOUCHUP_INBOX, else `$OPTLINE_DATA_DIR/touchups` (read at call time)."""
    return paths().touchup_inbox


# --- the manifest ----------------------------------------------------------------------------

@dataclass(frozen=True)
class TouchupManifest(ManifestSettings):
    default_country: str = "US"
    encoding: str = "auto"
    delimiter: str | None = None  # None: detect
    date_order: str = "auto"  # how opted_in_at is read
    create_lists: bool = True  # false: every list the rows name must exist already
    path: str | None = None

    LATER_KEYS: ClassVar[tuple[str, ...]] = ("create_lists",)


def load_manifest(data_file: Path) -> TouchupManifest:
    """The file's manifest (`<stem>.manifest.yaml`, else `_manifest.yaml`); none: the defaults."""
    path = manifest_path_for(data_file)
    if path is None:
        return TouchupManifest()
    return parse_manifest(read_yaml(path), source=path)


def parse_manifest(raw: Any, source: Path | None = None) -> TouchupManifest:
    """Validate a touch-up manifest; every error names the manifest file and the key."""
    where = source.name if source else "manifest"
    check_mapping(raw, where, _MANIFEST_KEYS)
    reading = file_settings(raw, key_error(where), ())
    return TouchupManifest(default_country=default_country(raw, where), encoding=reading["encoding"],
                           delimiter=reading["delimiter"], date_order=reading["date_order"],
                           create_lists=create_lists_setting(raw, key_error(where)),
                           path=str(source) if source else None)


# --- reading ---------------------------------------------------------------------------------

def map_header(header: list[str | None], file_name: str, line: int) -> dict[str, int]:
    """staging column -> cell index: per column, the header with the best-ranked spelling."""
    keys = [header_key(h or "") for h in header]
    found: dict[str, int] = {}
    for column, spellings in HEADERS.items():
        ranked = [(spellings.index(k), i) for i, k in enumerate(keys) if k in spellings and i not in found.values()]
        if ranked:
            found[column] = min(ranked)[1]
    missing = [c.removesuffix("_raw") for c in _REQUIRED if c not in found]
    if missing:
        raise MalformedFileError(file_name, line, f"the header needs columns {missing} (and list, tag, opted_in_at, "
                                 f"source as the rows need); it has {shown_headers(header)}")
    return found


def read_file(path: Path, manifest: TouchupManifest) -> HeadedRows:
    """Read the whole file (header first, every data row kept); raises MalformedFileError naming
    the file and line, never a value."""
    return readers.read_export(path, "list touch-ups", encoding=manifest.encoding, delimiter=manifest.delimiter,
                               fields=HEADERS, map_header=map_header)


def parse_rows(rows: list[dict[str, Any]], country: str) -> pa.Table:
    """Each row's number parsed (once per distinct value), HMAC'd and masked: the rows to stage.
    The number itself is not kept."""
    return rows_table(_parsed(rows, country), _ROW_COLUMNS, _ROW_TYPES)


def _parsed(rows: list[dict[str, Any]], country: str) -> Iterator[dict[str, Any]]:
    key = hmac_key()
    rows = [bounded(r, MAX_CELL_CHARS) for r in rows]  # an overlong cell: dropped, the row rejected
    parsed = parse_distinct((r["phone_raw"] for r in rows), country)
    for row_number, row in enumerate(rows, start=1):
        phone = parsed.get(row["phone_raw"]) if row["phone_raw"] else None
        yield {
            **row, "row_number": row_number,
            "phone_masked": mask_phone(row["phone_raw"]) if row["phone_raw"] else None,
            "number_hmac": number_hmac(phone.e164, key) if phone and phone.e164 else None,
            "parse_error": phone.error if phone else None,
        }


# --- applying --------------------------------------------------------------------------------

@dataclass
class TouchupResult:
    """How one touch-up file stands: counts and reason codes only, no personal data."""
    file_name: str
    status: str  # applied | already applied
    batch_id: int
    lines_read: int = 0
    applied: int = 0
    rejected: int = 0
    applied_by_action: dict[str, int] = field(default_factory=dict)
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    members_pending: int = 0
    members_active: int = 0
    events_appended: int = 0
    report_dir: str | None = None

    def as_dict(self) -> dict:
        """Every field: the report's `summary.json`."""
        return asdict(self)

    def as_xcom(self) -> dict:
        """The counts (and the file's name), fit for XCom and logs."""
        return {k: v for k, v in asdict(self).items() if k != "report_dir"}


def apply_file(conn: duckdb.DuckDBPyConnection, path: Path, run: RunContext,
               reports_dir: Path | None = None, *, default_country: str | None = None) -> TouchupResult:
    """Apply one touch-up file (all or nothing) at the clock `run.as_of`, and write its report
    under `reports_dir`. A file already applied is not read again. Input errors raise
    (intake.errors.INPUT_ERRORS) before anything is written.

    `default_country` overrides the manifest's (the CLI's --country); without `reports_dir` no
    report is written."""
    hmac_key()  # the configuration first: a ConfigError before the file is read
    require_inside(path, inbox())  # no link out of its folder, no named pipe: before anything opens it
    manifest = load_manifest(path)
    if default_country:
        manifest = replace(manifest, default_country=default_country.upper())
    file_sha = sha256_of(path)
    key = import_key(file_sha, manifest, KIND)
    existing = warehouse.run(conn, "listops/batch_by_import_key", import_key=key).fetchone()
    if existing:
        log.info("%s: already applied as touch-up batch %s; not read again", path.name, existing[0])
        return result_for(conn, existing[0], reports_dir, already_applied=True)

    export = read_file(path, manifest)
    rows = parse_rows(export.rows, manifest.default_country)
    if not manifest.create_lists:
        lists.require_existing(conn, named_lists(rows), file_name=path.name,
                               manifest_name=Path(manifest.path).name if manifest.path else "its manifest",
                               where_named="the `list` column of add_member and remove_member rows")
    date_order = manifest.effective_date_order()
    with warehouse.transaction(conn):
        batch_id = ids.insert_one(
            conn, "listops/batch_insert", "batch_id", import_key=key, file_name=path.name, file_path=str(path),
            file_sha256=file_sha, file_bytes=path.stat().st_size, encoding=export.encoding,
            delimiter=export.delimiter, manifest_path=manifest.path, manifest=json.dumps(manifest.settings()),
            default_country=manifest.default_country, dag_id=run.dag_id, run_id=run.run_id, as_of=run.as_of,
            lines_read=rows.num_rows,
        )
        with registered(conn, "touchup_rows_read", rows):
            warehouse.run(conn, "listops/rows_insert", batch_id=batch_id, date_order=date_order)
        warehouse.run(conn, "listops/outcomes_set", batch_id=batch_id, as_of=run.as_of, date_order=date_order)
        ids.insert(conn, "listops/lists_insert_new", "list_id", batch_id=batch_id)
        pending = warehouse.run(conn, "listops/memberships_add_pending", batch_id=batch_id).fetchone()[0]
        active = warehouse.run(conn, "listops/memberships_add_active", batch_id=batch_id).fetchone()[0]
        events = len(ids.insert(conn, "listops/consent_events_insert", "consent_event_id", batch_id=batch_id))
        warehouse.run(conn, "listops/memberships_remove", batch_id=batch_id)
        ids.insert(conn, "listops/tags_insert_new", "tag_id", batch_id=batch_id)
        for step in _TAG_STEPS:
            warehouse.run(conn, step, batch_id=batch_id)
        warehouse.run(conn, "listops/number_status_events_insert", batch_id=batch_id, applied_at=run.as_of,
                      source=path.name)
        counts = _counts(conn, batch_id)
        reconcile(path.name, rows.num_rows, counts)
        warehouse.run(conn, "listops/batch_set_counts", batch_id=batch_id, rows_applied=counts["applied"],
                      rows_rejected=counts["rejected"], members_pending=pending, members_active=active,
                      events_appended=events)
    result = result_for(conn, batch_id, reports_dir)
    if reports_dir is not None:
        write_report(conn, result, reports_dir)
    log.info("%s: touch-up batch %d: %d read, %d applied %s, %d rejected %s; %d membership(s) pending, %d active, "
             "%d opt-in event(s)", path.name, batch_id, result.lines_read, result.applied, result.applied_by_action,
             result.rejected, result.rejected_by_reason, pending, active, events)
    return result


def named_lists(rows: pa.Table) -> list[str]:
    """The lists the add_member and remove_member rows name (the action spelled as
    sql/listops/rows_insert.sql reads it)."""
    actions = (re.sub(r"[ -]+", "_", (a or "").strip().lower()) for a in rows.column("action_raw").to_pylist())
    return [name for action, name in zip(actions, rows.column("list_raw").to_pylist(), strict=True)
            if action in _LIST_ACTIONS and name]


def _counts(conn: duckdb.DuckDBPyConnection, batch_id: int) -> dict[str | None, int]:
    counts: dict[str | None, int] = dict.fromkeys(OUTCOMES, 0)
    for row in warehouse.fetch_dicts(conn, "listops/outcome_counts", batch_id=batch_id):
        counts[row["outcome"]] = counts.get(row["outcome"], 0) + row["lines"]
    return counts


def reconcile(file_name: str, lines_read: int, counts: dict[str | None, int]) -> None:
    """lines read = applied + rejected, no row without an outcome; else nothing is applied."""
    judged = counts["applied"] + counts["rejected"]
    if judged != lines_read or set(counts) - set(OUTCOMES):
        raise ReconciliationError(f"{file_name}: read {lines_read} rows but {counts['applied']} applied + "
                                  f"{counts['rejected']} rejected (and {counts.get(None, 0)} without an outcome); "
                                  "nothing from the file was applied")


def result_for(conn: duckdb.DuckDBPyConnection, batch_id: int, reports_dir: Path | None, *,
               already_applied: bool = False) -> TouchupResult:
    """How the batch `batch_id` stands (already applied: no membership or event added now)."""
    batch = warehouse.fetch_dicts(conn, "listops/batch_summary", batch_id=batch_id)[0]
    by_action: dict[str, int] = {}
    by_reason: dict[str, int] = {}
    for row in warehouse.fetch_dicts(conn, "listops/outcome_counts", batch_id=batch_id):
        if row["outcome"] == "applied":
            by_action[row["action"]] = by_action.get(row["action"], 0) + row["lines"]
        elif row["reason"]:
            by_reason[row["reason"]] = by_reason.get(row["reason"], 0) + row["lines"]
    out = report_dir(reports_dir, KIND, batch_id) if reports_dir is not None else None
    return TouchupResult(
        file_name=batch["file_name"], status="already applied" if already_applied else "applied", batch_id=batch_id,
        lines_read=batch["lines_read"], applied=batch["rows_applied"] or 0, rejected=batch["rows_rejected"] or 0,
        applied_by_action=dict(sorted(by_action.items())), rejected_by_reason=dict(sorted(by_reason.items())),
        members_pending=0 if already_applied else batch["members_pending"] or 0,
        members_active=0 if already_applied else batch["members_active"] or 0,
        events_appended=0 if already_applied else batch["events_appended"] or 0,
        report_dir=str(out) if out is not None else None,
    )


def format_result(result: TouchupResult) -> str:
    """Plain text for people (the CLI): the counts, then the rejected rows' reasons."""
    applied = ", ".join(f"{action} {n}" for action, n in result.applied_by_action.items()) or "nothing"
    lines = [f"{result.file_name}: touch-up batch {result.batch_id} {result.status}: {result.lines_read} row(s) read; "
             f"applied: {applied}; rejected: {result.rejected}; memberships {result.members_pending} pending, "
             f"{result.members_active} active; {result.events_appended} opt-in event(s)"]
    lines += [f"  rejected {reason}: {n} ({REASONS.get(reason, reason)})"
              for reason, n in result.rejected_by_reason.items()]
    if result.report_dir:
        lines.append(f"  report: {result.report_dir}")
    return "\n".join(lines)


# --- report ----------------------------------------------------------------------------------

REPORT_HEADER = ["row_number", "line_number", "action", "list", "tag", "phone", "opted_in_at", "source", "outcome",
                 "reason", "detail"]


def _shown(value: str | None) -> str:
    """A cell fit for the report: masked when it looks like a phone number, never a live formula."""
    return neutralize_formula(mask_phone(value) if looks_like_phone(value) else value)


def write_report(conn: duckdb.DuckDBPyConnection, result: TouchupResult, reports_dir: Path) -> Path:
    """`reports/touchups/<batch>/summary.json` and `rows.csv` (every row, its outcome and reason;
    numbers masked, formulas neutralized)."""
    out = report_dir(reports_dir, KIND, result.batch_id)
    out.mkdir(parents=True, exist_ok=True)
    result.report_dir = str(out)
    batch = warehouse.fetch_dicts(conn, "listops/batch_summary", batch_id=result.batch_id)[0]
    summary = {**result.as_dict(), "applied_at": iso_utc(batch["as_of"]), "run_id": batch["run_id"]}
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    tmp = out / "rows.csv.tmp"
    with tmp.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(REPORT_HEADER)
        for r in warehouse.fetch_dicts(conn, "listops/report_rows", batch_id=result.batch_id):
            writer.writerow([r["row_number"], r["line_number"], _shown(r["action_raw"]), _shown(r["list_name"]),
                             _shown(r["tag"]), neutralize_formula(r["phone_masked"]), iso_utc(r["opted_in_at"]),
                             _shown(r["source"]), r["outcome"], r["reason"] or "", r["reason_detail"] or ""])
    tmp.replace(out / "rows.csv")
    return out


# --- demo samples ----------------------------------------------------------------------------

SAMPLE_FILE = "list_touchups.csv"


def write_samples(folder: Path, as_of: dt.date) -> list[Path]:
    """A small touch-up file for the demo, with its manifest; an existing file is kept (returns []).

    Against the demo's contact samples (store_events.xlsx): Ann joins VIP Club pending (she gets
    the welcome), Oli joins it active on paper evidence, Pia gets a tag, Wes is suspended; Tia's
    add is refused once the opt-out samples are applied (previously_opted_out); one number is
    unknown, one row has evidence dated after the day, one action is unknown.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SAMPLE_FILE
    if path.exists():
        return []
    signed = dt.datetime.combine(as_of - dt.timedelta(days=2), dt.time(15, 30), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    later = dt.datetime.combine(as_of + dt.timedelta(days=3), dt.time(9, 0), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    rows = [
        ["action", "phone", "list", "tag", "opted_in_at", "source"],
        ["add_member", "(415) 555-0101", "VIP Club", "", "", ""],
        ["add_member", "(212) 555-0111", "VIP Club", "", signed, "paper sign-up sheet, store 12"],
        ["add_tag", "(305) 555-0112", "", "regular", "", ""],
        ["suspend", "702-555-0118", "", "", "", ""],
        ["add_member", "+1 702 555 0115", "VIP Club", "", "", ""],
        ["add_member", "(415) 555-0190", "VIP Club", "", "", ""],
        ["add_member", "+1 702 555 0119", "VIP Club", "", later, "web form"],
        ["delete_everything", "+1 702 555 0120", "", "", "", ""],
    ]
    write_csv(path, rows)
    manifest = write_manifest(path, {"default_country": "US", "date_order": "ymd"})
    return [path, manifest]
