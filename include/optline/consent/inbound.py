"""Inbound messages: apply an export of texts received (STOP, START, HELP, list keywords).

An export (CSV: from, to, body, received at) waits in the inbound inbox (`inbox()`:
OPTLINE_INBOUND_INBOX, else `$OPTLINE_DATA_DIR/inbound/`) with a manifest.
Each message is classified by `optline.consent.keywords.classify`, then the whole file is applied
in one transaction, in the order the messages were received (then row order):

- opt_out (a word or phrase of the revocation phrase file, `expectations/policies/revocation.yaml`,
  read once per export): an `opt_out` consent event (scope: the channel; STOPALL: `all`);
- possible_revocation ("not interested", "who is this?", ...): nothing applied; outcome `review`
  (reason `possible_revocation`), listed in the report for a person to decide, with its
  business days since receipt and the date the 10th business day ends;
- opt_in (START/UNSTOP/YES): a `resubscribe` event, only when the number is suppressed on
  the channel or has a pending membership; otherwise ignored (`not_opted_out`);
- help: one help reply queued in `msg.outbox`;
- join (a manifest keyword within the first two words): the list, a contact for the number,
  an active membership and a `resubscribe` event; a welcome queued only the first time the
  number ever joins that list (`msg.keyword_joins`);
- other: recorded, nothing else.

The same export dropped again (same file and manifest: same import key) changes nothing.
A report per file (`reports/inbound/<batch>/`) gives each opt-out's receipt and application
times and the business days between them, flagging any beyond the FCC's 10, and the possible
revocations waiting for a decision as they stood when the file was applied (a reviewer decides
them with `optline revocations`, optline.consent.revocations; marts.possible_revocations is current).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from optline import ids, warehouse
from optline.config import hmac_key, paths
from optline.consent.businessdays import (
    FCC_OPT_OUT_LIMIT,
    add_business_days,
    business_days_between,
    business_days_rule,
    store_calendar,
)
from optline.consent.keywords import (
    HELP_WORDS,
    OPT_IN_WORDS,
    OPT_OUT_WORDS,
    Revocation,
    classify,
    load_revocation,
)
from optline.intake import readers
from optline.intake.chunks import registered, rows_table
from optline.intake.discovery import require_inside
from optline.intake.errors import INPUT_ERRORS
from optline.intake.fields import header_key
from optline.intake.identity import import_key, sha256_of
from optline.intake.manifest import (
    ManifestError,
    ManifestSettings,
    channel,
    check_mapping,
    check_texts,
    default_country,
    file_settings,
    key_error,
    read_yaml,
    require_manifest,
)
from optline.intake.outcomes import count_outcomes, reconcile_lines
from optline.intake.readers import HeadedRows, MalformedFileError
from optline.intake.report_dirs import report_dir
from optline.intake.summary import iso_utc
from optline.masking import neutralize_formula, safe_value
from optline.phones import number_hmac, parse_distinct
from optline.quality import suites as quality
from optline.runs import RunContext
from optline.samples import write_csv, write_manifest

log = logging.getLogger(__name__)

KIND = "inbound"  # the import keys' prefix and the reports' folder
OUTCOMES = ("applied", "ignored", "invalid", "review")
# A possible revocation this close to the FCC limit (business days left) is flagged `near_limit`.
NEAR_LIMIT_DAYS = 2
DEFAULT_HELP_REPLY = "Reply STOP to opt out, START to opt back in. Msg & data rates may apply."
DEFAULT_WELCOME_REPLY = "You joined {list}. Reply HELP for help, STOP to opt out. Msg & data rates may apply."
PLACEHOLDERS = frozenset({"list", "keyword"})
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_KEYWORD = re.compile(r"[A-Za-z0-9]+")
RESERVED_WORDS = OPT_OUT_WORDS | OPT_IN_WORDS | HELP_WORDS

# Header spellings (compared by optline.intake.fields.header_key: case, spaces, punctuation ignored).
HEADERS: dict[str, frozenset[str]] = {
    "from_raw": frozenset({"from", "fromnumber", "fromphone", "sender", "sendernumber", "senderphone", "originator",
                           "mobilenumber", "phone", "phonenumber", "msisdn"}),
    "to_raw": frozenset({"to", "tonumber", "tophone", "recipient", "recipientnumber", "destination", "shortcode"}),
    "body": frozenset({"body", "message", "messagebody", "messagetext", "text", "content", "sms", "smsbody"}),
    "received_at_raw": frozenset({"receivedat", "received", "datereceived", "receiveddate", "datesent", "sentdate",
                                  "sentat", "date", "datetime", "timestamp", "time", "datecreated", "createdat"}),
    "direction": frozenset({"direction"}),
}
_REQUIRED = ("from_raw", "body")
# The longest body a provider delivers, per channel: SMS 1,600 characters (10 concatenated
# segments; Twilio refuses to send or receive more: error 21617), WhatsApp 4,096 (its text
# limit). A longer body is no text a person sent (a broken or hostile export): the row is
# invalid (`body_too_long`), not classified and its body not stored, so no keyword is acted on.
MAX_BODY_CHARS = {"sms": 1600, "whatsapp": 4096}
# The other free-text columns: a number with formatting (or `whatsapp:+...`), a timestamp, a
# direction (`inbound`, `outbound-api`) fit well within these. A longer sender, recipient or
# direction makes the row invalid (`field_too_long`); a longer time is not stored and counts as
# unreadable (an opt-out then applies at the application time, as for any unreadable time).
MAX_FIELD_CHARS = {"from_raw": 64, "to_raw": 64, "received_at_raw": 64, "direction": 32}
_MANIFEST_KEYS = {"default_country", "channel", "keywords", "help_reply", "welcome_reply", "source", "encoding",
                  "delimiter", "date_order"}
_UNREAD = ("body_too_long", "field_too_long")  # read issues under which the row is not classified
_MESSAGE_COLUMNS = ("row_number", "line_number", "read_issue", "from_raw", "to_raw", "body", "received_at_raw",
                    "direction", "e164", "region", "number_type", "time_zones", "number_hmac", "parse_error", "intent",
                    "keyword", "list_name", "revocation_rule")
_MESSAGE_TYPES = {"row_number": pa.int64(), "line_number": pa.int64(), "time_zones": pa.list_(pa.string())}


@dataclass(frozen=True)
class InboundManifest(ManifestSettings):
    default_country: str = "US"
    channel: str = "sms"
    keywords: dict[str, str] = field(default_factory=dict)  # KEYWORD (upper case) -> list name
    help_reply: str = DEFAULT_HELP_REPLY
    welcome_reply: str = DEFAULT_WELCOME_REPLY
    source: str = "inbound"
    encoding: str = "auto"
    delimiter: str | None = None  # None: detect
    date_order: str = "auto"
    path: str | None = None


@dataclass(frozen=True)
class InboundResult:
    """One export's outcome: counts only (fit for XCom and logs)."""
    batch_id: int
    file_name: str
    already_imported: bool
    lines_read: int
    applied: int
    ignored: int
    invalid: int
    review: int  # possible revocations left for a person to decide
    by_intent: dict[str, int]
    opt_outs: int
    opt_outs_over_limit: int
    report_dir: str

    def as_xcom(self) -> dict:
        return asdict(self)


def inbox() -> Path:
    """Where exports of received texts wait: OPTLINE_INBOUND_INBOX, else `$OPTLINE_DATA_DIR/inbound`."""
    return paths().inbound_inbox


# --- manifest -------------------------------------------------------------------------------

def load_manifest(data_file: Path) -> InboundManifest:
    path = require_manifest(data_file, " with `channel:` and `keywords:`; see docs/inbound.md")
    return parse_manifest(read_yaml(path), source=path)


def _template(value: Any, key: str, where: str, default: str) -> str:
    if value is None:
        return default
    if not isinstance(value, str) or not value.strip():
        raise ManifestError(f"{where}: `{key}` must be a non-empty text")
    unknown = set(_PLACEHOLDER.findall(value)) - PLACEHOLDERS
    if unknown:
        raise ManifestError(f"{where}: `{key}` uses unknown placeholders {sorted(unknown)}; "
                            f"known: {sorted('{' + p + '}' for p in PLACEHOLDERS)}")
    return value.strip()


def parse_manifest(raw: Any, source: Path | None = None) -> InboundManifest:
    """Validate an inbound manifest mapping; every error names the manifest and the key."""
    where = source.name if source else "manifest"
    fail = key_error(where)
    check_mapping(raw, where, _MANIFEST_KEYS)
    country = default_country(raw, where)
    chosen_channel = channel(raw, where)
    keywords_raw = raw.get("keywords") or {}
    if not isinstance(keywords_raw, dict):
        raise ManifestError(f"{where}: `keywords` must map a keyword to a list name, e.g. `{{PIZZA: Pizza Lovers}}`")
    keywords: dict[str, str] = {}
    for word, list_name in keywords_raw.items():
        word = str(word).strip().upper()
        if not _KEYWORD.fullmatch(word):
            raise ManifestError(f"{where}: `keywords.{word}` must be one word of letters and digits")
        if word in RESERVED_WORDS:
            raise ManifestError(f"{where}: `keywords.{word}` is reserved (opt-out, opt-in or help word)")
        if not isinstance(list_name, str) or not list_name.strip():
            raise ManifestError(f"{where}: `keywords.{word}` must name a list")
        keywords[word] = list_name.strip()
    reading = file_settings(raw, fail, ())
    check_texts(raw, ("source",), where)
    return InboundManifest(
        default_country=country, channel=chosen_channel, keywords=dict(sorted(keywords.items())),
        help_reply=_template(raw.get("help_reply"), "help_reply", where, DEFAULT_HELP_REPLY),
        welcome_reply=_template(raw.get("welcome_reply"), "welcome_reply", where, DEFAULT_WELCOME_REPLY),
        source=str(raw.get("source", InboundManifest.source)).strip(), encoding=reading["encoding"],
        delimiter=reading["delimiter"], date_order=reading["date_order"], path=str(source) if source else None,
    )


def _check_keywords_are_not_opt_outs(manifest: InboundManifest, revocation: Revocation) -> None:
    """A list keyword that the phrase file makes an opt-out word (BAJA, REMOVE, ...) could never join."""
    clash = sorted(set(manifest.keywords) & revocation.words)
    if clash:
        where = Path(manifest.path).name if manifest.path else "manifest"
        raise ManifestError(f"{where}: `keywords.{clash[0]}` is an opt-out word of {revocation.source}; "
                            "choose another keyword")


# --- reading --------------------------------------------------------------------------------

def map_header(header: list[str | None], file_name: str, line: int = 1) -> dict[str, int]:
    """Which cell feeds which column; the first matching header wins."""
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = header_key(cell or "")
        for column, spellings in HEADERS.items():
            if key in spellings and column not in found:
                found[column] = index
                break
    missing = [c for c in _REQUIRED if c not in found]
    if missing:
        wanted = " and no ".join({"from_raw": "sender column (From, Sender, from_number)",
                                  "body": "message column (Body, Message, Text)"}[c] for c in missing)
        raise MalformedFileError(file_name, line, f"no {wanted} among the headers {[h or '' for h in header]}; "
                                 "an export needs From, Body and Received At")
    return found


def read_export(path: Path, manifest: InboundManifest) -> HeadedRows:
    """Read the whole export (header first), every data row kept; raises MalformedFileError."""
    return readers.read_export(path, "inbound messages", encoding=manifest.encoding, delimiter=manifest.delimiter,
                               fields=HEADERS, map_header=map_header)


def classify_rows(rows: list[dict[str, Any]], manifest: InboundManifest,
                  revocation: Revocation | None = None) -> pa.Table:
    """Each row's sender parsed and HMAC'd, and its body classified: the staging table's rows.
    `revocation`: the phrase file (read now when not given)."""
    return rows_table(_classified(rows, manifest, revocation or load_revocation()), _MESSAGE_COLUMNS,
                      _MESSAGE_TYPES)


def bounded(row: dict[str, Any], channel: str) -> dict[str, Any]:
    """The row with no free text past its limit (MAX_BODY_CHARS, MAX_FIELD_CHARS): an overlong
    value is dropped (None) and, but for the time, the row gets its read issue."""
    out = dict(row)
    issue = None
    for column, limit in MAX_FIELD_CHARS.items():
        if out.get(column) is not None and len(out[column]) > limit:
            out[column] = None
            issue = issue or (None if column == "received_at_raw" else "field_too_long")
    if out.get("body") is not None and len(out["body"]) > MAX_BODY_CHARS[channel]:
        out["body"] = None
        issue = "body_too_long"
    if issue and not out.get("read_issue"):
        out["read_issue"] = issue
    return out


def _classified(rows: list[dict[str, Any]], manifest: InboundManifest,
                revocation: Revocation) -> Iterator[dict[str, Any]]:
    key = hmac_key()
    rows = [bounded(r, manifest.channel) for r in rows]
    parsed = parse_distinct((r["from_raw"] for r in rows if r["read_issue"] not in _UNREAD), manifest.default_country)
    for row_number, row in enumerate(rows, start=1):
        phone = parsed.get(row["from_raw"]) if row["from_raw"] and row["read_issue"] not in _UNREAD else None
        intent = classify(None if row["read_issue"] in _UNREAD else row["body"], manifest.keywords.keys(),
                          revocation)
        yield {
            **row, "row_number": row_number,
            "e164": phone.e164 if phone else None,
            "region": phone.region if phone else None,
            "number_type": phone.number_type if phone else None,
            "time_zones": list(phone.time_zones) if phone else None,
            "number_hmac": number_hmac(phone.e164, key) if phone and phone.e164 else None,
            "parse_error": phone.error if phone else None,
            "intent": intent.kind, "keyword": intent.keyword, "revocation_rule": intent.rule,
            "list_name": manifest.keywords.get(intent.keyword or "") if intent.kind == "join" else None,
        }


# --- applying -------------------------------------------------------------------------------

_APPLY_STEPS = ("inbound/phone_numbers_insert_new", "inbound/lists_insert_new", "inbound/contacts_insert_new",
                "inbound/contact_channels_insert_new", "inbound/confirmations_insert",
                "confirmations/memberships_activate", "inbound/memberships_activate_joined",
                "inbound/memberships_insert_joined",
                "inbound/consent_events_insert", "inbound/keyword_joins_insert")
# The steps that insert rows with new ids, and the kind of id each numbers its rows with (optline.ids).
_NUMBERED = {"inbound/lists_insert_new": "list_id", "inbound/contacts_insert_new": "contact_id",
             "inbound/consent_events_insert": "consent_event_id"}


def apply_file(conn: duckdb.DuckDBPyConnection, path: Path, run: RunContext, reports_dir: Path) -> InboundResult:
    """Apply one export (all or nothing) at the clock `run.as_of`, and write its report. An export
    already applied is not read again (its report is rewritten only if missing). Input errors
    raise (intake.errors.INPUT_ERRORS) before anything is written."""
    hmac_key()  # the configuration first: a ConfigError before the file is read
    require_inside(path, inbox())  # no link out of its folder, no named pipe: before anything opens it
    manifest = load_manifest(path)
    file_sha = sha256_of(path)
    revocation = load_revocation()  # once per file; a broken phrase file stops here, nothing written
    _check_keywords_are_not_opt_outs(manifest, revocation)
    key = import_key(file_sha, manifest, KIND)
    existing = warehouse.run(conn, "inbound/batch_by_import_key", import_key=key).fetchone()
    if existing:
        log.info("%s: already applied as inbound batch %s; not read again", path.name, existing[0])
        result = result_for(conn, existing[0], reports_dir, already_imported=True)
        if not (Path(result.report_dir) / "summary.json").is_file():
            write_report(conn, result, reports_dir)
        return result

    export = read_export(path, manifest)
    messages = classify_rows(export.rows, manifest, revocation)
    applied_at = run.as_of
    with warehouse.transaction(conn):
        store_calendar(conn)  # the holidays the opt-out expectations' business days skip
        batch_id = ids.insert_one(
            conn, "inbound/batch_insert", "batch_id", import_key=key, file_name=path.name, file_path=str(path),
            file_sha256=file_sha, file_bytes=path.stat().st_size, encoding=export.encoding,
            delimiter=export.delimiter, manifest_path=manifest.path, manifest=json.dumps(manifest.settings()),
            channel=manifest.channel, default_country=manifest.default_country, source=manifest.source,
            dag_id=run.dag_id, run_id=run.run_id, as_of=applied_at, lines_read=messages.num_rows,
        )
        with registered(conn, "inbound_messages_read", messages):
            warehouse.run(conn, "inbound/messages_insert", batch_id=batch_id)
        warehouse.run(conn, "inbound/outcomes_insert", batch_id=batch_id, applied_at=applied_at,
                      date_order=manifest.effective_date_order())
        for step in _APPLY_STEPS:
            if step in _NUMBERED:
                ids.insert(conn, step, _NUMBERED[step], batch_id=batch_id)
            else:
                warehouse.run(conn, step, batch_id=batch_id)
        ids.insert(conn, "inbound/outbox_insert", "outbox_id", batch_id=batch_id, applied_at=applied_at,
                   help_reply=manifest.help_reply, welcome_reply=manifest.welcome_reply)
        reconcile_lines(path.name, messages.num_rows, outcome_counts(conn, batch_id), OUTCOMES)
        late = sum(1 for r in opt_out_rows(conn, batch_id) if r["over_limit"] is True)
        warehouse.run(conn, "inbound/batch_mark_applied", batch_id=batch_id, applied_at=applied_at,
                      opt_outs_over_limit=late)
        for kind, name in (("inbound_opt_outs_csv", "opt_outs.csv"),
                           ("inbound_possible_revocations_csv", "possible_revocations.csv"),
                           ("inbound_summary_json", "summary.json")):
            warehouse.run(conn, "reports/reports_index_upsert", batch_id=batch_id, kind=kind,
                          path=str(report_dir(reports_dir, KIND, batch_id) / name))
    quality.observe(conn, batch_id, "inbound_messages")  # after the commit: recorded, never blocking
    result = result_for(conn, batch_id, reports_dir, already_imported=False)
    write_report(conn, result, reports_dir)
    log.info("%s: inbound batch %d: %d read, %d applied, %d ignored, %d invalid, %d for review (possible "
             "revocations); by intent %s; %d opt-out(s), %d beyond %d business days", path.name, batch_id,
             result.lines_read, result.applied, result.ignored, result.invalid, result.review, result.by_intent,
             result.opt_outs, result.opt_outs_over_limit, FCC_OPT_OUT_LIMIT)
    return result


def outcome_counts(conn: duckdb.DuckDBPyConnection, batch_id: int) -> dict[str | None, int]:
    """Messages per outcome (a message left without one counts under `None`, and fails reconcile)."""
    rows = warehouse.fetch_dicts(conn, "inbound/outcome_counts", batch_id=batch_id)
    return count_outcomes(rows, OUTCOMES, "messages")


def opt_out_rows(conn: duckdb.DuckDBPyConnection, batch_id: int) -> list[dict[str, Any]]:
    """The batch's opt-outs with business days from receipt to application (None when the
    receipt time was unreadable) and whether that exceeds the FCC limit."""
    rows = warehouse.fetch_dicts(conn, "inbound/opt_outs", batch_id=batch_id)
    for row in rows:
        received, applied = row["received_at"], row["applied_at"]
        row["business_days"] = business_days_between(received, applied) if received else None
        row["over_limit"] = row["business_days"] > FCC_OPT_OUT_LIMIT if received else None
    return rows


def decide_by(start: dt.datetime, limit: int = FCC_OPT_OUT_LIMIT) -> dt.date:
    """The date (UTC) of the `limit`-th business day after `start`'s date: a revocation received
    at `start` must be honored by the end of it (weekends and the calendar's holidays skipped)."""
    return add_business_days(start, limit)


def possible_revocation_rows(conn: duckdb.DuckDBPyConnection, batch_id: int) -> list[dict[str, Any]]:
    """The batch's possible revocations, undecided, with the FCC clock: business days from receipt
    (or from the application time, when the receipt time was unreadable or in the future) to the
    application, the date it must be decided by, and `clock` ok | near_limit | over_limit."""
    rows = warehouse.fetch_dicts(conn, "inbound/possible_revocations", batch_id=batch_id)
    for row in rows:
        received, applied = row["received_at"], row["applied_at"]
        start = received if received is not None and received <= applied else applied
        days = business_days_between(start, applied)
        row["business_days"], row["decide_by"] = days, decide_by(start)
        row["clock"] = ("over_limit" if days > FCC_OPT_OUT_LIMIT
                        else "near_limit" if days >= FCC_OPT_OUT_LIMIT - NEAR_LIMIT_DAYS else "ok")
        row["decision"] = "undecided"
    return rows


def result_for(conn: duckdb.DuckDBPyConnection, batch_id: int, reports_dir: Path, *,
               already_imported: bool) -> InboundResult:
    """How the batch `batch_id` stands: its counts, by intent too."""
    batch = warehouse.fetch_dicts(conn, "inbound/batch_summary", batch_id=batch_id)[0]
    by_intent: dict[str, int] = {}
    for row in warehouse.fetch_dicts(conn, "inbound/outcome_counts", batch_id=batch_id):
        by_intent[row["intent"]] = by_intent.get(row["intent"], 0) + row["messages"]
    return InboundResult(
        batch_id=batch_id, file_name=batch["file_name"], already_imported=already_imported,
        lines_read=batch["lines_read"], applied=batch["messages_applied"], ignored=batch["messages_ignored"],
        invalid=batch["messages_invalid"], review=batch["messages_review"],
        by_intent=dict(sorted(by_intent.items())), opt_outs=batch["opt_outs"],
        opt_outs_over_limit=batch["opt_outs_over_limit"],
        report_dir=str(report_dir(reports_dir, KIND, batch_id)),
    )


def file_result(conn: duckdb.DuckDBPyConnection, path: Path, reports_dir: Path) -> InboundResult | None:
    """How an inbox export stands in the warehouse; None when it was not applied (its manifest
    is missing or invalid, or applying it failed: see that task's log)."""
    try:
        key = import_key(sha256_of(path), load_manifest(path), KIND)
    except INPUT_ERRORS:
        return None
    found = warehouse.run(conn, "inbound/batch_by_import_key", import_key=key).fetchone()
    return None if found is None else result_for(conn, found[0], reports_dir, already_imported=False)


# --- report ---------------------------------------------------------------------------------

OPT_OUT_REPORT_COLUMNS = ("row_number", "line_number", "number", "keyword", "scope", "received_at", "applied_at",
                          "business_days", "over_limit")
POSSIBLE_REVOCATION_COLUMNS = ("row_number", "line_number", "number", "rule", "matched", "scope", "received_at",
                               "applied_at", "business_days", "decide_by", "clock", "decision")


def write_report(conn: duckdb.DuckDBPyConnection, result: InboundResult, reports_dir: Path) -> Path:
    """`opt_outs.csv`, `possible_revocations.csv` (numbers masked, no message bodies) and
    `summary.json` (counts) under reports/inbound/<batch>/."""
    batch_id = result.batch_id
    folder = report_dir(reports_dir, KIND, batch_id)
    folder.mkdir(parents=True, exist_ok=True)
    opt_outs = opt_out_rows(conn, batch_id)
    with (folder / "opt_outs.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(OPT_OUT_REPORT_COLUMNS)
        for r in opt_outs:
            late = "" if r["over_limit"] is None else ("yes" if r["over_limit"] else "no")
            writer.writerow([r["row_number"], r["line_number"], safe_value("phone", r["e164"]),
                             neutralize_formula(r["keyword"]), r["scope"], iso_utc(r["received_at"]),
                             iso_utc(r["applied_at"]), "" if r["business_days"] is None else r["business_days"], late])
    possible = possible_revocation_rows(conn, batch_id)
    with (folder / "possible_revocations.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(POSSIBLE_REVOCATION_COLUMNS)
        for r in possible:
            writer.writerow([r["row_number"], r["line_number"], safe_value("phone", r["e164"]), r["rule"],
                             neutralize_formula(r["keyword"] or ""), r["scope"], iso_utc(r["received_at"]),
                             iso_utc(r["applied_at"]), r["business_days"], r["decide_by"].isoformat(), r["clock"],
                             r["decision"]])
    batch = warehouse.fetch_dicts(conn, "inbound/batch_summary", batch_id=batch_id)[0]
    breakdown = warehouse.fetch_dicts(conn, "inbound/outcome_counts", batch_id=batch_id)
    summary = {
        "batch_id": batch_id, "file_name": batch["file_name"], "channel": batch["channel"],
        "applied_at": iso_utc(batch["applied_at"]), "lines_read": batch["lines_read"],
        "applied": batch["messages_applied"], "ignored": batch["messages_ignored"],
        "invalid": batch["messages_invalid"], "review": batch["messages_review"],
        "by_intent": breakdown,
        "possible_revocations": {"undecided": len(possible),
                                 "near_limit": sum(1 for r in possible if r["clock"] == "near_limit"),
                                 "over_limit": sum(1 for r in possible if r["clock"] == "over_limit")},
        "opt_outs": batch["opt_outs"], "opt_outs_over_limit": batch["opt_outs_over_limit"],
        "limit_business_days": FCC_OPT_OUT_LIMIT,
        "business_days": business_days_rule(),
        "invalid_rows": warehouse.fetch_dicts(conn, "inbound/invalid_rows", batch_id=batch_id),
    }
    (folder / "summary.json").write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    return folder


# --- samples --------------------------------------------------------------------------------

def write_samples(folder: Path, as_of: dt.date) -> list[Path]:
    """A small export as a messaging provider writes it (newest first, with a Direction column)
    and its manifest. The numbers are the demo contacts' (+1 702 555 0115 ...)."""
    folder.mkdir(parents=True, exist_ok=True)

    def at(days_ago: int, hh_mm: str) -> str:
        return f"{as_of - dt.timedelta(days=days_ago)} {hh_mm}:00"

    ours = "+1 702 555 0199"
    rows = [
        ["From", "To", "Body", "Direction", "DateSent"],
        [ours, "+1 702 555 0115", "Thanks! You're now on Pizza Lovers.", "outbound-api", at(1, "09:20")],
        ["+1 702 555 0116", ours, "pizza", "inbound", at(1, "18:45")],
        ["+1 702 555 0119", ours, "Thanks, see you Saturday!", "inbound", at(1, "12:02")],
        ["+1 702 555 0118", ours, "HELP", "inbound", at(1, "11:30")],
        ["+1 702 555 0117", ours, "Start", "inbound", at(1, "10:05")],
        ["+1 702 555 0115", ours, "Stop", "inbound", at(1, "09:15")],
        ["+1 702 555 0116", ours, "Join PIZZA", "inbound", at(3, "17:40")],
        ["+1 702 555 0120", ours, "quit texting me", "inbound", at(20, "08:10")],  # exported late: flagged
    ]
    data = write_csv(folder / "received_messages.csv", rows)
    manifest = write_manifest(data, {
        "default_country": "US", "channel": "sms", "keywords": {"PIZZA": "Pizza Lovers"},
        "help_reply": "Pizza Palace alerts: up to 4 msgs/month. Reply STOP to cancel. Msg & data rates may apply.",
        "welcome_reply": "Welcome to {list}! Reply HELP for help, STOP to opt out.",
        "source": "inbound",
    })
    return [data, manifest]
