"""The FCC Reassigned Numbers Database (reassigned.fcc.gov) as a lookup provider: its answers,
imported from a file, go to the same cache as Twilio's (`ops.number_lookups`, kind
`reassigned`, provider `fcc_rnd`); the provider itself asks nobody (`asks = False`), so a
number and date no imported file answers is unavailable.

The file (docs/lookup.md, "FCC answers"): a CSV with a header naming three columns, in any
order and case: the number (`phone_number`, `phone number`, `phone`, `tn`), the date of consent
asked about (`date_of_consent`, `consent_date`, `date provided`, `date`: YYYY-MM-DD, MM/DD/YYYY
or YYYYMMDD) and the answer (`result`, `response`, `reassigned`: Yes, No, No Data). A row whose
number is not a valid US number, or whose date or answer cannot be read, is counted as invalid
and skipped (its line number is kept, never its value).
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import phonenumbers

from optline.config import hmac_key
from optline.lookup import cache
from optline.lookup.base import Answer, Request, now_utc, unavailable
from optline.phones import number_hmac

log = logging.getLogger(__name__)

NAME = "fcc_rnd"
CHUNK_ROWS = 10_000
_PHONE = ("phone_number", "phone number", "phone", "tn", "telephone number")
_DATE = ("date_of_consent", "consent_date", "date of consent", "date provided", "date_provided", "date")
_RESULT = ("result", "response", "reassigned", "answer")
_ANSWERS = {"yes": "yes", "no": "no", "no data": "no_data", "no_data": "no_data", "nodata": "no_data"}


class FccFileError(ValueError):
    """The file is not an FCC RND answer file Optline reads: its header lacks a column."""


@dataclass
class FccImportResult:
    file_name: str
    rows: int = 0
    imported: int = 0
    invalid_lines: list[int] = field(default_factory=list)
    by_answer: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class FccRndProvider:
    """Answers only from imported files (the cache): `answer` is never a request to the FCC."""

    name = NAME
    asks = False

    def answer(self, request: Request) -> Answer:
        return unavailable(self.name, "no FCC RND answer imported for this number and consent date")

    def close(self) -> None:
        pass


def _column(header: list[str], names: tuple[str, ...], what: str, path: Path) -> int:
    cleaned = [h.strip().lstrip("\ufeff").lower() for h in header]
    for name in names:
        if name in cleaned:
            return cleaned.index(name)
    raise FccFileError(f"{path.name}: no {what} column in the header (one of {list(names)})")


def _date(text: str) -> dt.date | None:
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%Y%m%d"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


def _e164(text: str) -> str | None:
    try:
        parsed = phonenumbers.parse(text.strip(), "US")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed) or phonenumbers.region_code_for_number(parsed) != "US":
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _chunks(path: Path, result: FccImportResult, key: bytes, checked_at: dt.datetime,
            ) -> Iterator[list[tuple[Request, Answer]]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if not header:
            raise FccFileError(f"{path.name} is empty: expected a header and one answer per line")
        phone, date, said = (_column(header, _PHONE, "phone number", path), _column(header, _DATE, "date", path),
                             _column(header, _RESULT, "result", path))
        chunk: dict[str, tuple[Request, Answer]] = {}  # by number: a later line replaces an earlier one
        for line, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            result.rows += 1
            cells = row + [""] * (max(phone, date, said) + 1 - len(row))
            e164, since = _e164(cells[phone]), _date(cells[date])
            answer = _ANSWERS.get(cells[said].strip().lower())
            if e164 is None or since is None or answer is None:
                result.invalid_lines.append(line)
                continue
            request = Request(e164, number_hmac(e164, key), "reassigned", since)
            chunk[request.number_hmac] = (request, Answer(NAME, checked_at, reassigned=answer, verified_date=since))
            result.by_answer[answer] = result.by_answer.get(answer, 0) + 1
            if len(chunk) >= CHUNK_ROWS:
                yield list(chunk.values())
                chunk = {}
        if chunk:
            yield list(chunk.values())


def import_file(conn: duckdb.DuckDBPyConnection, path: Path, *, checked_at: dt.datetime | None = None,
                ) -> FccImportResult:
    """Import an FCC RND answer file into the cache, CHUNK_ROWS answers per commit. `checked_at`
    (default: now) is when the FCC answered: the answers are fresh for the policy's
    `reassigned_numbers.max_age_days` from then. A later answer for the same number replaces
    an earlier one (the file's last line for a number wins)."""
    key = hmac_key()
    result = FccImportResult(path.name)
    when = checked_at or now_utc()
    for chunk in _chunks(path, result, key, when):
        result.imported += cache.store(conn, "reassigned", chunk, source=path.name)
    log.info("%s: %d FCC RND answers imported (%s), %d invalid lines", path.name, result.imported,
             ", ".join(f"{k} {v}" for k, v in sorted(result.by_answer.items())), len(result.invalid_lines))
    return result
