"""Phone numbers: parse raw text to E.164 with phonenumbers, with region, type and time zones.

Parsing is the one step SQL cannot do, so it runs once per *distinct* raw value of a batch
(`normalize_batch`), spread over the machine's cores when there are many, and the result
is joined back to the rows in SQL.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import multiprocessing
import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import duckdb
import phonenumbers
import pyarrow as pa
from phonenumbers import NumberParseException, PhoneNumberType, timezone
from phonenumbers.phonenumberutil import is_number_type_geographical

from optline import warehouse
from optline.config import hmac_key

log = logging.getLogger(__name__)

TYPE_NAMES = {v: k for k, v in vars(PhoneNumberType).items() if isinstance(v, int) and k.isupper()}
_PARSE_ERRORS = {
    NumberParseException.INVALID_COUNTRY_CODE: "invalid_country_code",
    NumberParseException.NOT_A_NUMBER: "not_a_number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too_short",
    NumberParseException.TOO_SHORT_NSN: "too_short",
    NumberParseException.TOO_LONG: "too_long",
}
PARALLEL_THRESHOLD = 50_000
_UNKNOWN_ZONE = timezone.UNKNOWN_TIMEZONE


@dataclass(frozen=True)
class ParsedPhone:
    e164: str | None
    region: str | None
    number_type: str | None
    time_zones: tuple[str, ...]
    error: str | None


def parse_phone(raw: str, default_region: str) -> ParsedPhone:
    """Parse one raw value. A national number is read in `default_region`.

    The number type is computed once and reused: a number is valid exactly when its type
    is known (what `is_valid_number` computes), and it decides which time-zone lookup applies.
    """
    try:
        number = phonenumbers.parse(raw, default_region)
    except NumberParseException as exc:
        return ParsedPhone(None, None, None, (), _PARSE_ERRORS.get(exc.error_type, "unparseable"))
    region = phonenumbers.region_code_for_number(number)
    ntype = phonenumbers.number_type(number) if region else PhoneNumberType.UNKNOWN
    if ntype == PhoneNumberType.UNKNOWN:
        return ParsedPhone(None, None, None, (), "invalid")
    if is_number_type_geographical(ntype, number.country_code):
        zones = timezone.time_zones_for_geographical_number(number)
    else:
        zones = timezone._country_level_time_zones_for_number(number)
    return ParsedPhone(
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        region=region,
        number_type=TYPE_NAMES.get(ntype, "UNKNOWN"),
        time_zones=tuple(z for z in zones if z != _UNKNOWN_ZONE),
        error=None,
    )


def _parse_chunk(args: tuple[list[str], str]) -> list[ParsedPhone]:
    raws, region = args
    return [parse_phone(r, region) for r in raws]


def parse_many(raws: list[str], default_region: str, workers: int | None = None) -> list[ParsedPhone]:
    """Parse many values, in parallel processes when there are enough to pay for it."""
    workers = workers or os.cpu_count() or 1
    if len(raws) < PARALLEL_THRESHOLD or workers < 2:
        return _parse_chunk((raws, default_region))
    size = -(-len(raws) // (workers * 4))
    parts = [(raws[i:i + size], default_region) for i in range(0, len(raws), size)]
    # forkserver, not fork: the caller holds an open DuckDB connection and its threads.
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("forkserver")) as pool:
        return [p for chunk in pool.map(_parse_chunk, parts) for p in chunk]


def parse_distinct(values: Iterable[str | None], default_region: str) -> dict[str, ParsedPhone]:
    """Each distinct non-empty value parsed once: raw value -> its parse."""
    raws = sorted({v for v in values if v})
    return dict(zip(raws, parse_many(raws, default_region)))


def number_hmac(e164: str, key: bytes) -> str:
    """The keyed HMAC-SHA256 of a number: how the consent ledger names it. Unlike a plain
    hash, it cannot be reversed by hashing every possible number without the key."""
    return hmac.new(key, e164.encode("ascii"), hashlib.sha256).hexdigest()


def normalize_batch(conn: duckdb.DuckDBPyConnection, batch_id: int, default_region: str) -> int:
    """Fill `staging.phone_parses` for the batch's distinct raw values. Returns how many."""
    key = hmac_key()
    raws = [r[0] for r in warehouse.run(conn, "staging/distinct_phone_raws", batch_id=batch_id).fetchall()]
    parsed = parse_many(raws, default_region)
    table = pa.table({
        "batch_id": pa.array([batch_id] * len(raws), pa.int64()),
        "phone_raw": pa.array(raws, pa.string()),
        "e164": pa.array([p.e164 for p in parsed], pa.string()),
        "region": pa.array([p.region for p in parsed], pa.string()),
        "number_type": pa.array([p.number_type for p in parsed], pa.string()),
        "time_zones": pa.array([list(p.time_zones) for p in parsed], pa.list_(pa.string())),
        "parse_error": pa.array([p.error for p in parsed], pa.string()),
        "number_hmac": pa.array([number_hmac(p.e164, key) if p.e164 else None for p in parsed], pa.string()),
    })
    conn.register("phone_parse_results", table)
    try:
        warehouse.run(conn, "staging/phone_parses_insert")
    finally:
        conn.unregister("phone_parse_results")
    log.info("batch %d: parsed %d distinct phone values", batch_id, len(raws))
    return len(raws)
