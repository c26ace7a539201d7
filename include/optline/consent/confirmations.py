"""Web confirmations: apply a double opt-in landing page's export of who confirmed.

An export (CSV: the token of the welcome's link, or the number, and the time it confirmed;
optionally the list and an email)
waits in the confirmations inbox (`inbox()`: OPTLINE_CONFIRMATIONS_INBOX, else
`$OPTLINE_DATA_DIR/confirmations/`), with an optional manifest. `apply_file` reads it whole,
then applies it in one transaction. Every row ends one of three ways:

- matched by token (`confirm_by: token`, the default when the export has a token column): the
  token (optline.messaging.links: signed, expiring, no number in it) names the welcome, and so
  the list, number and channel it confirms; method `link`, consent method `link_confirmation`;
- matched by number (`confirm_by: number`, the default without a token column: a site that
  cannot pass tokens): the number's pending memberships on the manifest's channel (of the named
  list, when the row or the manifest names one); method `web`, consent `web_confirmation`;
- confirmed: the earliest row reaching a pending membership gives it its `core.confirmations`
  row (the file's time, lineage to batch and row); the membership becomes active; the number
  gets an `opt_in` consent event, keyed by its HMAC;
- ignored: `suppressed` (a web form never lifts an opt-out: only the number's own START
  does), `duplicate_in_file`, `already_confirmed`, `no_pending_membership`;
- invalid: `blank_row`, `extra_fields`, `missing_number`, `invalid_number`,
  `missing_confirmed_at`, `invalid_confirmed_at`, `future_confirmed_at` (after the run's
  clock), `unknown_list`; token rows: `missing_token`, `token_invalid_signature` (garbled or
  forged), `token_unknown` (no welcome has it), `token_number_mismatch`, `token_expired`,
  `token_reused` (its welcome was confirmed by its link already).

lines read = confirmed + ignored + invalid, checked before commit. The same export dropped
again (same bytes and manifest: same import key) changes nothing. A report per file
(`reports/confirmations/<batch>/summary.json`) gives the counts and the invalid rows, masked.
See docs/confirmations.md.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from optline import ids, warehouse
from optline.config import hmac_key, link_key, paths
from optline.intake import readers
from optline.intake.bounds import FIELD_TOO_LONG, NAME_CHARS, PHONE_CHARS, TIME_CHARS, bounded
from optline.intake.chunks import registered, rows_table
from optline.intake.columns import looks_like_phone, shown_headers
from optline.intake.discovery import require_inside
from optline.intake.errors import INPUT_ERRORS as INPUT_ERRORS  # re-exported: docs/confirmations.md names it
from optline.intake.errors import ReconciliationError
from optline.intake.fields import ALIASES, header_key
from optline.intake.identity import import_key, sha256_of
from optline.intake.manifest import (
    ManifestSettings,
    channel,
    check_mapping,
    check_texts,
    default_country,
    file_settings,
    key_error,
    manifest_path_for,
    read_yaml,
)
from optline.intake.outcomes import count_outcomes, outcome_sum
from optline.intake.readers import HeadedRows, MalformedFileError
from optline.intake.report_dirs import report_dir
from optline.intake.summary import iso_utc
from optline.masking import safe_value
from optline.messaging import links
from optline.phones import number_hmac, parse_distinct, parse_phone
from optline.runs import RunContext
from optline.samples import write_csv, write_manifest

log = logging.getLogger(__name__)

KIND = "confirmations"  # the import keys' prefix and the reports' folder
OUTCOMES = ("confirmed", "ignored", "invalid")
IGNORED_REASONS = ("suppressed", "duplicate_in_file", "already_confirmed", "no_pending_membership")
INVALID_REASONS = ("blank_row", "extra_fields", "missing_number", "invalid_number", "missing_confirmed_at",
                   "invalid_confirmed_at", "future_confirmed_at", "unknown_list", FIELD_TOO_LONG)
# A token row's reasons (confirm_by token), in the order they are decided; all invalid.
TOKEN_REASONS = ("missing_token", links.INVALID_SIGNATURE, "token_unknown", "token_number_mismatch", "token_expired",
                 "token_reused")
CONFIRM_BY = ("auto", "token", "number")
# The longest cell kept (optline.intake.bounds); a longer one makes its row invalid (`field_too_long`).
MAX_CELL_CHARS = {"phone_raw": PHONE_CHARS, "confirmed_at_raw": TIME_CHARS, "list_raw": NAME_CHARS,
                  "email": NAME_CHARS, "token_raw": TIME_CHARS}
DEFAULT_SOURCE = "web"
CONSENT_METHOD = "web_confirmation"  # sql/confirmations/consent_events_insert.sql (by number)
LINK_CONSENT_METHOD = "link_confirmation"  # the same, by the welcome's link

# staging column -> header spellings (optline.intake.fields.header_key), best first: when several
# headers match one column, the one whose spelling comes first wins (`confirmed_at` over `date`).
HEADERS: dict[str, tuple[str, ...]] = {
    "phone_raw": ("phone", "phonenumber", "number", "mobile", "mobilenumber", "msisdn",
                  *sorted(alias for alias, fld in ALIASES.items() if fld == "phone")),
    "confirmed_at_raw": ("confirmedat", "confirmed", "confirmedon", "confirmeddate", "confirmedtime",
                         "confirmationdate", "confirmationtime", "confirmationtimestamp", "timestamp", "time",
                         "datetime", "date"),
    "list_raw": ("list", "listname"),
    "email": ("email", "emailaddress", "mail"),
    "token_raw": ("token", "confirmtoken", "confirmationtoken", "linktoken", "optintoken"),
}
_REQUIRED = {"phone_raw": "number column (Phone, Number, Mobile, phone_number, MSISDN)",
             "confirmed_at_raw": "confirmation time column (confirmed_at, Confirmed, Time, Timestamp, Date)"}
_TOKEN_REQUIRED = "token column (token, confirmation_token)"
_ROW_COLUMNS = ("row_number", "line_number", "read_issue", "phone_raw", "confirmed_at_raw", "list_raw", "has_email",
                "e164", "number_hmac", "parse_error", "link_id", "link_expires_at", "token_error", "token_tail")
_ROW_TYPES = {"row_number": pa.int64(), "line_number": pa.int64(), "has_email": pa.bool_(),
              "link_expires_at": pa.timestamp("us", tz="UTC")}
_MANIFEST_KEYS = {"default_country", "channel", "list", "source", "encoding", "delimiter", "date_order", "confirm_by"}


def inbox() -> Path:
    """Where web confirmation exports wait: OPTLINE_CONFIRMATIONS_INBOX, else
    `$OPTLINE_DATA_DIR/confirmations` (read at call time)."""
    return paths().confirmations_inbox


# --- the manifest ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ConfirmationManifest(ManifestSettings):
    default_country: str = "US"
    channel: str = "sms"
    list_name: str | None = None  # `list:`: rows naming no list confirm only this list
    source: str = DEFAULT_SOURCE
    encoding: str = "auto"
    delimiter: str | None = None  # None: detect
    date_order: str = "auto"
    confirm_by: str = "auto"  # auto (token when the export has a token column) | token | number
    path: str | None = None

    def settings(self) -> dict[str, Any]:
        """The effective settings (the import key's); `confirm_by: auto` is left out, so an export
        applied before the setting existed keeps its key and is not applied again."""
        d = super().settings()
        if d["confirm_by"] == "auto":
            d.pop("confirm_by")
        return d


def load_manifest(data_file: Path) -> ConfirmationManifest:
    """The file's manifest (`<stem>.manifest.yaml`, else `_manifest.yaml`); none: the defaults."""
    path = manifest_path_for(data_file)
    if path is None:
        return ConfirmationManifest()
    return parse_manifest(read_yaml(path), source=path)


def parse_manifest(raw: Any, source: Path | None = None) -> ConfirmationManifest:
    """Validate a confirmations manifest; every error names the manifest file and the key."""
    where = source.name if source else "manifest"
    fail = key_error(where)
    check_mapping(raw, where, _MANIFEST_KEYS)
    country = default_country(raw, where)
    chosen_channel = channel(raw, where)
    check_texts(raw, ("list", "source"), where)
    reading = file_settings(raw, fail, ())
    confirm_by = str(raw.get("confirm_by", "auto")).strip().lower()
    if confirm_by not in CONFIRM_BY:
        raise fail("confirm_by", f"must be one of {', '.join(CONFIRM_BY)} (token: the welcome's link; number: "
                   "only for a site that cannot pass tokens)")
    return ConfirmationManifest(
        default_country=country, channel=chosen_channel,
        list_name=raw["list"].strip() if "list" in raw else None,
        source=str(raw.get("source", DEFAULT_SOURCE)).strip(),
        encoding=reading["encoding"], delimiter=reading["delimiter"], date_order=reading["date_order"],
        confirm_by=confirm_by, path=str(source) if source else None,
    )


# --- reading ---------------------------------------------------------------------------------

def map_header(header: list[str | None], file_name: str, line: int, confirm_by: str = "auto") -> dict[str, int]:
    """staging column -> cell index: per column, the header with the best-ranked spelling. The
    time is required; so is the token when matching by token, the number when matching by number."""
    keys = [header_key(h or "") for h in header]
    found: dict[str, int] = {}
    for column, spellings in HEADERS.items():
        ranked = [(spellings.index(k), i) for i, k in enumerate(keys) if k in spellings and i not in found.values()]
        if ranked:
            found[column] = min(ranked)[1]
    by = matched_by(confirm_by, found)
    required = {"confirmed_at_raw": _REQUIRED["confirmed_at_raw"],
                **({"token_raw": _TOKEN_REQUIRED} if by == "token" else {"phone_raw": _REQUIRED["phone_raw"]})}
    missing = [c for c in required if c not in found]
    if missing:
        wanted = " and no ".join(required[c] for c in missing)
        needs = ("the token of the welcome's link (the manifest says `confirm_by: token`)" if by == "token"
                 else "a number (or a token column)")
        shown = shown_headers([links.tail(h) if links.looks_like_token(h) else h for h in header])
        raise MalformedFileError(file_name, line, f"no {wanted} among the headers {shown}; "
                                 f"a web confirmations export needs {needs} and the time it confirmed")
    return found


def matched_by(confirm_by: str, columns: dict[str, int]) -> str:
    """token or number: the manifest's `confirm_by`, or with `auto`, token when the export has a
    token column."""
    if confirm_by == "auto":
        return "token" if "token_raw" in columns else "number"
    return confirm_by


def read_export(path: Path, manifest: ConfirmationManifest) -> tuple[HeadedRows, str]:
    """Read the whole export with the shared reader (header first, every data row kept), and
    how its rows are matched (token | number); raises MalformedFileError naming the file and
    line, never a value."""
    columns: dict[str, int] = {}

    def mapped(header: list[str | None], file_name: str, line: int) -> dict[str, int]:
        columns.update(map_header(header, file_name, line, manifest.confirm_by))
        return columns

    export = readers.read_export(path, "web confirmations", encoding=manifest.encoding, delimiter=manifest.delimiter,
                                 fields=HEADERS, map_header=mapped)
    return export, matched_by(manifest.confirm_by, columns)


def parse_rows(rows: list[dict[str, Any]], manifest: ConfirmationManifest, confirm_by: str = "number") -> pa.Table:
    """Each row's number parsed (once per distinct value) and HMAC'd, and (matching by token)
    its token's signature checked: the rows to stage. The token itself is not kept."""
    return rows_table(_parsed(rows, manifest, confirm_by), _ROW_COLUMNS, _ROW_TYPES)


def _parsed(rows: list[dict[str, Any]], manifest: ConfirmationManifest, confirm_by: str) -> Iterator[dict[str, Any]]:
    key = hmac_key()
    signing = link_key() if confirm_by == "token" else None
    rows = [bounded(r, MAX_CELL_CHARS) for r in rows]  # an overlong cell: dropped, the row invalid
    parsed = parse_distinct((r["phone_raw"] for r in rows), manifest.default_country)
    for row_number, row in enumerate(rows, start=1):
        phone = parsed.get(row["phone_raw"]) if row["phone_raw"] else None
        token = row.pop("token_raw", None)
        checked = links.check(signing, token) if signing and token else None
        yield {
            **row, "row_number": row_number, "has_email": row["email"] is not None,
            "e164": phone.e164 if phone else None,
            "number_hmac": number_hmac(phone.e164, key) if phone and phone.e164 else None,
            "parse_error": phone.error if phone else None,
            "link_id": checked.link_id if checked else None,
            "link_expires_at": checked.expires_at if checked else None,
            "token_error": (checked.error if checked else "missing_token") if signing else None,
            "token_tail": links.tail(token) if signing else None,
        }


# --- applying --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ConfirmationResult:
    """One export's outcome: counts only (fit for XCom and logs)."""
    batch_id: int
    file_name: str
    already_imported: bool
    lines_read: int
    confirmed: int
    ignored: int
    invalid: int
    memberships_confirmed: int
    report_dir: str
    confirm_by: str = "number"  # how the rows were matched: token (the welcome's link) | number

    def as_xcom(self) -> dict:
        return asdict(self)


def apply_file(conn: duckdb.DuckDBPyConnection, path: Path, run: RunContext, reports_dir: Path) -> ConfirmationResult:
    """Apply one export (all or nothing) at the clock `run.as_of`, and write its report. An export
    already applied is not read again (its report is rewritten only if missing). Input errors
    raise (intake.errors.INPUT_ERRORS) before anything is written."""
    hmac_key()  # the configuration first: a ConfigError before the file is read
    require_inside(path, inbox())  # no link out of its folder, no named pipe: before anything opens it
    manifest = load_manifest(path)
    file_sha = sha256_of(path)
    key = import_key(file_sha, manifest, KIND)
    existing = warehouse.run(conn, "confirmations/batch_by_import_key", import_key=key).fetchone()
    if existing:
        log.info("%s: already applied as web-confirmation batch %s; not read again", path.name, existing[0])
        result = result_for(conn, existing[0], reports_dir, already_imported=True)
        if not (Path(result.report_dir) / "summary.json").is_file():
            write_report(conn, result, reports_dir, manifest.default_country)
        return result

    export, confirm_by = read_export(path, manifest)
    rows = parse_rows(export.rows, manifest, confirm_by)
    with warehouse.transaction(conn):
        batch_id = ids.insert_one(
            conn, "confirmations/batch_insert", "batch_id", import_key=key, file_name=path.name, file_path=str(path),
            file_sha256=file_sha, file_bytes=path.stat().st_size, encoding=export.encoding,
            delimiter=export.delimiter, manifest_path=manifest.path, manifest=json.dumps(manifest.settings()),
            channel=manifest.channel, default_country=manifest.default_country, list_name=manifest.list_name,
            source=manifest.source, dag_id=run.dag_id, run_id=run.run_id, as_of=run.as_of,
            lines_read=rows.num_rows, confirm_by=confirm_by,
        )
        with registered(conn, "web_confirmations_read", rows):
            warehouse.run(conn, "confirmations/rows_insert", batch_id=batch_id, as_of=run.as_of,
                          channel=manifest.channel, list_name=manifest.list_name,
                          date_order=manifest.effective_date_order(), confirm_by=confirm_by)
        warehouse.run(conn, "confirmations/matches_insert", batch_id=batch_id)
        warehouse.run(conn, "confirmations/outcomes_set", batch_id=batch_id)
        confirmed = warehouse.run(conn, "confirmations/confirmations_insert", batch_id=batch_id,
                                  as_of=run.as_of).fetchone()[0]
        activated = warehouse.run(conn, "confirmations/memberships_activate", batch_id=batch_id).fetchone()[0]
        events = len(ids.insert(conn, "confirmations/consent_events_insert", "consent_event_id", batch_id=batch_id))
        counts = outcome_counts(conn, batch_id)
        reconcile(path.name, rows.num_rows, counts, memberships_confirmed=confirmed, activated=activated,
                  events=events)
        warehouse.run(conn, "confirmations/batch_set_counts", batch_id=batch_id, confirmed=counts["confirmed"],
                      ignored=counts["ignored"], invalid=counts["invalid"], memberships_confirmed=confirmed)
        warehouse.run(conn, "reports/reports_index_upsert", batch_id=batch_id, kind="confirmations_summary_json",
                      path=str(report_dir(reports_dir, KIND, batch_id) / "summary.json"))
    result = result_for(conn, batch_id, reports_dir, already_imported=False)
    write_report(conn, result, reports_dir, manifest.default_country)
    log.info("%s: web-confirmation batch %d (by %s): %d read, %d confirmed (%d membership(s) made active), "
             "%d ignored, %d invalid", path.name, batch_id, confirm_by, result.lines_read, result.confirmed,
             result.memberships_confirmed, result.ignored, result.invalid)
    return result


def outcome_counts(conn: duckdb.DuckDBPyConnection, batch_id: int) -> dict[str | None, int]:
    """Rows per outcome; a row left without one counts under `None` (and fails reconcile)."""
    return count_outcomes(warehouse.fetch_dicts(conn, "confirmations/outcome_counts", batch_id=batch_id), OUTCOMES,
                          "lines")


def reconcile(file_name: str, lines_read: int, counts: dict[str | None, int], *, memberships_confirmed: int,
              activated: int, events: int) -> None:
    """lines read = confirmed + ignored + invalid (no row without an outcome); every membership
    confirmed was made active; one consent event per confirmed row. Else the batch fails."""
    judged = sum(counts[o] for o in OUTCOMES)
    unjudged = sum(n for o, n in counts.items() if o not in OUTCOMES)
    problems = []
    if lines_read != judged or unjudged:
        problems.append(f"read {lines_read} lines but {outcome_sum(counts, OUTCOMES)} ({unjudged} without an outcome)")
    if activated != memberships_confirmed:
        problems.append(f"{memberships_confirmed} membership(s) confirmed but {activated} made active")
    if events != counts["confirmed"]:
        problems.append(f"{counts['confirmed']} row(s) confirmed but {events} consent event(s)")
    if problems:
        raise ReconciliationError(f"{file_name}: " + "; ".join(problems) + "; nothing from the file was applied")


def result_for(conn: duckdb.DuckDBPyConnection, batch_id: int, reports_dir: Path, *,
               already_imported: bool) -> ConfirmationResult:
    """How the batch `batch_id` stands: its counts."""
    batch = warehouse.fetch_dicts(conn, "confirmations/batch_summary", batch_id=batch_id)[0]
    return ConfirmationResult(
        batch_id=batch_id, file_name=batch["file_name"], already_imported=already_imported,
        lines_read=batch["lines_read"], confirmed=batch["confirmed"], ignored=batch["ignored"],
        invalid=batch["invalid"], memberships_confirmed=batch["memberships_confirmed"],
        report_dir=str(report_dir(reports_dir, KIND, batch_id)), confirm_by=batch["confirm_by"] or "number",
    )


# --- report ----------------------------------------------------------------------------------

def shown(value: str | None, default_country: str) -> str:
    """A cell other than the number, fit for the report: masked when it reads as a phone
    number or a token (in the wrong column), never a live formula."""
    if value and looks_like_phone(value) and parse_phone(value, default_country).e164:
        return safe_value("phone", value)
    if links.looks_like_token(value):  # a token in the wrong column: a credential, shown as its tail
        return links.tail(value) or ""
    return safe_value(None, value)


def write_report(conn: duckdb.DuckDBPyConnection, result: ConfirmationResult, reports_dir: Path,
                 default_country: str = "US") -> Path:
    """`summary.json` under reports/confirmations/<batch>/: counts by outcome and reason, and
    the invalid rows (row, line, reason, cells masked; `default_country` tells a number in the
    wrong column). No phone number."""
    batch_id = result.batch_id
    folder = report_dir(reports_dir, KIND, batch_id)
    folder.mkdir(parents=True, exist_ok=True)
    batch = warehouse.fetch_dicts(conn, "confirmations/batch_summary", batch_id=batch_id)[0]
    by_reason: dict[str, dict[str, int]] = {"ignored": {}, "invalid": {}}
    for row in warehouse.fetch_dicts(conn, "confirmations/outcome_counts", batch_id=batch_id):
        if row["outcome"] in by_reason:
            by_reason[row["outcome"]][row["reason"]] = row["lines"]
    invalid_rows = [
        {"row_number": r["row_number"], "line_number": r["line_number"], "reason": r["reason"],
         "number": safe_value("phone", r["phone_raw"]), "confirmed_at": shown(r["confirmed_at_raw"], default_country),
         "list": shown(r["list_raw"], default_country), **({"token": r["token_tail"]} if r["token_tail"] else {})}
        for r in warehouse.fetch_dicts(conn, "confirmations/invalid_rows", batch_id=batch_id)
    ]
    summary = {
        "batch_id": batch_id, "file_name": batch["file_name"], "channel": batch["channel"],
        "list": batch["list_name"], "source": batch["source"], "confirm_by": batch["confirm_by"] or "number",
        "applied_at": iso_utc(batch["as_of"]),
        "lines_read": batch["lines_read"], "confirmed": batch["confirmed"], "ignored": batch["ignored"],
        "invalid": batch["invalid"], "memberships_confirmed": batch["memberships_confirmed"],
        "ignored_by_reason": by_reason["ignored"], "invalid_by_reason": by_reason["invalid"],
        "invalid_rows": invalid_rows,
    }
    tmp = folder / "summary.json.tmp"
    tmp.write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    tmp.replace(folder / "summary.json")
    return folder


# --- demo samples ----------------------------------------------------------------------------

SAMPLE_FILE = "web_confirmations.csv"
SAMPLE_UNKNOWN_NUMBER = "+14155550190"  # a fictional number no demo list holds: no_pending_membership
# Two demo contacts' numbers (store_events.xlsx: Xin Wu, Pia Ng), the ones `make demo` confirms on the web.
SAMPLE_NUMBERS = ("+17025550119", "+13055550112")


def write_samples(folder: Path, as_of: dt.date, numbers: Sequence[str] = SAMPLE_NUMBERS,
                  tokens: Sequence[str] = ()) -> list[Path]:
    """A small export as a double opt-in landing page writes it, with its manifest: each of
    `numbers` (E.164; default the demo's) confirmed on the day before `as_of`, plus one number
    no list holds (ignored) and one row with a time that cannot be read (invalid). Given
    `tokens` (the welcomes' links, `sample_tokens`), the export is by token instead: each token
    confirmed, plus one forged token (`token_invalid_signature`) and the unreadable time. An
    existing export is kept (returns []), so a second demo changes nothing."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SAMPLE_FILE
    if path.exists():
        return []
    day = as_of - dt.timedelta(days=1)

    def at(minutes: int) -> str:
        return (dt.datetime.combine(day, dt.time(18, 0), dt.UTC)
                + dt.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")

    if tokens:
        forged = tokens[0][:-1] + ("A" if tokens[0][-1] != "A" else "B")
        rows = [["Token", "Confirmed At", "Email"], *([t, at(7 * i), ""] for i, t in enumerate(tokens)),
                [forged, at(7 * len(tokens) + 3), ""], [tokens[0], "the day after tomorrow", ""]]
        write_csv(path, rows)
        return [path, write_manifest(path, {"default_country": "US", "confirm_by": "token", "source": "web"})]
    unknown = next(n for n in (SAMPLE_UNKNOWN_NUMBER, "+14155550191", "+14155550192") if n not in numbers)
    rows: list[list[str]] = [["Phone Number", "Confirmed At", "Email"]]
    rows += [[number, at(7 * i), ""] for i, number in enumerate(numbers)]
    rows.append([unknown, at(7 * len(numbers) + 3), "visitor@example.com"])
    rows.append([numbers[0] if numbers else unknown, "the day after tomorrow", ""])
    write_csv(path, rows)
    manifest = write_manifest(path, {"default_country": "US", "channel": "sms", "source": "web"})
    return [path, manifest]


def sample_tokens(sent: Path, base_url: str, numbers: Sequence[str] = SAMPLE_NUMBERS) -> list[str]:
    """The confirmation-link tokens of the welcomes the sandbox provider recorded (`sent`: its
    messages.jsonl) for `numbers`, in the order sent: what their sign-up page would pass back.
    None without a base URL (the welcomes carry no link)."""
    if not base_url or not sent.is_file():
        return []
    wanted = set(numbers)
    tokens = []
    for line in sent.read_text(encoding="utf-8").splitlines():
        message = json.loads(line)
        token = links.token_in(message.get("body") or "", base_url) if message.get("to") in wanted else None
        if token and token not in tokens:
            tokens.append(token)
    return tokens
