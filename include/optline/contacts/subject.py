"""A data subject's export: everything the warehouse holds about one number, in one JSON file.

`export_person` parses the number with phonenumbers (in `default_country`), gathers the
contacts at it with their memberships, tags and channels, the ledger's consent events of its
HMAC (each opt-in with the disclosure it was given under: text, version, URL, purpose),
operator suspensions, confirmations, the messages meant for it, the texts received from it,
its web confirmations, and its staged rows in every contact import and opt-out file (with
batch, file and line), writes them to `out`, and records the export in `ops.subject_exports`
(who asked, the number's HMAC, the file and its counts; never the number). The file holds
personal data: it is for the person who asked, not for the reports folder.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from optline import warehouse
from optline.config import hmac_key
from optline.phones import number_hmac, parse_phone

log = logging.getLogger(__name__)

# The export's sections, in the file's order: each one statement, run by name.
SECTIONS = {
    "phone_number": "subject/phone_number",
    "contacts": "subject/contacts",
    "memberships": "subject/memberships",
    "tags": "subject/tags",
    "channels": "subject/channels",
    "consent_events": "subject/consent_events",
    "number_status_events": "subject/number_status_events",
    "confirmations": "subject/confirmations",
    "messages": "subject/messages",
    "received_texts": "subject/received_texts",
    "web_confirmations": "subject/web_confirmations",
    "staged_rows": "subject/staged_rows",
    "optout_rows": "subject/optout_rows",
}


@dataclass(frozen=True)
class SubjectExport:
    path: Path
    counts: dict[str, int]


def gather(conn: duckdb.DuckDBPyConnection, e164: str) -> dict[str, list[dict[str, Any]]]:
    """Every section of the export for the E.164 number `e164`."""
    params = {"e164": e164, "number_hmac": number_hmac(e164, hmac_key())}
    return {section: warehouse.fetch_dicts(conn, name, **params) for section, name in SECTIONS.items()}


def export_person(conn: duckdb.DuckDBPyConnection, number: str, *, out: Path, requested_by: str,
                  default_country: str = "US") -> SubjectExport:
    """Write everything held about `number` to `out` (JSON) and record the export in ops."""
    e164 = parse_phone(number, default_country).e164
    if not e164:
        raise ValueError(f"{number!r} is not a valid phone number (default country {default_country}): "
                         "give it in E.164 (+1 415 555 0101) or pass the right default country")
    hmac_value = number_hmac(e164, hmac_key())
    sections = gather(conn, e164)
    document = {"number": e164, "number_hmac": hmac_value, "requested_by": requested_by, **sections}
    data = (json.dumps(document, indent=2, default=str, ensure_ascii=False) + "\n").encode("utf-8")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(out)
    counts = {section: len(rows) for section, rows in sections.items()}
    warehouse.run(conn, "subject/export_insert", requested_by=requested_by, number_hmac=hmac_value,
                  file_path=str(out.resolve()), file_sha256=hashlib.sha256(data).hexdigest(),
                  contacts=counts["contacts"], consent_events=counts["consent_events"],
                  messages=counts["messages"], received_texts=counts["received_texts"],
                  staged_rows=counts["staged_rows"] + counts["optout_rows"])
    log.info("subject export for %s written: %s", requested_by, counts)
    return SubjectExport(out, counts)
