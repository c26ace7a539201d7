"""Phone numbers: parse raw text to E.164 with phonenumbers, with region, type and time zones.

Parsing is the one step SQL cannot do, so it runs once per *distinct* raw value of a batch
(`normalize_batch`), spread over the machine's cores when there are many, and the result
is joined back to the rows in SQL. A batch's values are read, parsed and inserted
NORMALIZE_CHUNK at a time, each chunk committed, so a 14M-row file needs no more memory than
a 100k-row one. The
parsing workers end with the process that started them, however it ends (`_end_with_parent`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import duckdb
import phonenumbers
import pyarrow as pa
from phonenumbers import NumberParseException, PhoneNumberType, timezone
from phonenumbers.phonenumberutil import is_number_type_geographical

from optline import phone_metadata, progress, warehouse
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
NORMALIZE_CHUNK = 100_000  # distinct values read, parsed and inserted at a time
POOL_PART = 5_000  # values a worker parses per task (~0.2 s)
_UNKNOWN_ZONE = timezone.UNKNOWN_TIMEZONE
SQL_PAGE = 1_000_000  # distinct values read in SQL at a time
# Fewer distinct values than this are parsed by phonenumbers alone: compiling the metadata tables
# takes ~0.4 s and the statements ~0.5 s more, what phonenumbers takes for ~15,000 values.
SQL_FROM = 20_000
SHA256_BLOCK = 64


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


def _end_with_parent() -> None:
    """Pool initializer: the worker ends as soon as the process that started the pool ends.

    Once that process is gone nothing else would end a worker: each worker holds both ends
    of the pool's queue pipes (so its read never reaches EOF, and its write of a result
    blocks once the pipe is full), and the forkserver lives while any worker holds its
    "alive" pipe. `parent_process()` is the pool's owner (the forkserver only forks): its
    sentinel becomes readable when that process ends, however it ends, SIGKILL included.
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()
        os._exit(1)

    threading.Thread(target=watch, name="optline-parent-watch", daemon=True).start()


class _Parser:
    """Parses lists of raw values: in-process below PARALLEL_THRESHOLD values, else in a pool
    of worker processes started on first need and reused until `close`."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> _Parser:
        return self

    def __exit__(self, exc_type: object, *_exc: object) -> None:
        self.close(cancel=exc_type is not None)

    def close(self, cancel: bool = False) -> None:
        """Stop the workers; on an error (`cancel`), the queued parts are not parsed."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=cancel)
            self._pool = None

    def __call__(self, raws: list[str], default_region: str) -> list[ParsedPhone]:
        if len(raws) < PARALLEL_THRESHOLD or self.workers < 2:
            return _parse_chunk((raws, default_region))
        if self._pool is None:
            # forkserver, not fork: the caller holds an open DuckDB connection and its threads.
            self._pool = ProcessPoolExecutor(max_workers=self.workers, initializer=_end_with_parent,
                                             mp_context=multiprocessing.get_context("forkserver"))
        # Small parts: an interrupted parse (Ctrl-C, Airflow's SIGTERM) waits only for the few in flight.
        size = min(-(-len(raws) // (self.workers * 4)), POOL_PART)
        parts = [(raws[i:i + size], default_region) for i in range(0, len(raws), size)]
        return [p for chunk in self._pool.map(_parse_chunk, parts) for p in chunk]


def parse_many(raws: list[str], default_region: str, workers: int | None = None) -> list[ParsedPhone]:
    """Parse many values, in parallel processes when there are enough to pay for it."""
    with _Parser(workers) as parse:
        return parse(raws, default_region)


def parse_distinct(values: Iterable[str | None], default_region: str) -> dict[str, ParsedPhone]:
    """Each distinct non-empty value parsed once: raw value -> its parse."""
    raws = sorted({v for v in values if v})
    return dict(zip(raws, parse_many(raws, default_region)))


def number_hmac(e164: str, key: bytes) -> str:
    """The keyed HMAC-SHA256 of a number: how the consent ledger names it. Unlike a plain
    hash, it cannot be reversed by hashing every possible number without the key."""
    return hmac.new(key, e164.encode("ascii"), hashlib.sha256).hexdigest()


def normalize_batch(conn: duckdb.DuckDBPyConnection, batch_id: int, default_region: str,
                    chunk_size: int | None = None, sql_from: int = SQL_FROM) -> int:
    """Fill `staging.phone_parses` for the batch's distinct raw values. Returns how many.

    First in SQL (`normalize_in_sql`), from phonenumbers' own metadata, when the batch has at
    least `sql_from` values (SQL_FROM; below it phonenumbers is quicker than compiling the
    metadata): every value SQL can read exactly as phonenumbers would (canonical digits and
    punctuation, the common case); then the values left, with phonenumbers itself,
    `chunk_size` (default NORMALIZE_CHUNK) at a time.
    Each page is committed on its own, so memory stays bounded whatever the batch's size (an
    open DuckDB transaction holds what it inserted in memory) and a re-run after an interruption
    takes up where it stopped. Call it outside a transaction.
    """
    key = hmac_key()
    size = chunk_size or NORMALIZE_CHUNK
    started = time.monotonic()
    in_sql = normalize_in_sql(conn, batch_id, default_region, key, at_least=sql_from)
    done = 0
    # The values not parsed yet: SQL's leftovers (and a re-run's, after an interruption).
    warehouse.run(conn, "staging/phone_raws_to_parse_create", batch_id=batch_id)
    try:
        left = warehouse.run(conn, "staging/phone_raws_to_parse_count").fetchone()[0]
        with _Parser() as parse, progress.Progress(f"batch {batch_id}: phonenumbers parsing", left, "values") as shown:
            while raws := [r[0] for r in warehouse.run(conn, "staging/phone_raws_to_parse_page",
                                                       after=done, size=size).fetchall()]:
                parsed = parse(raws, default_region)
                with warehouse.transaction(conn):
                    _insert_parses(conn, batch_id, raws, parsed, key)
                done += len(raws)
                shown.advance(len(raws))
    finally:
        warehouse.run(conn, "staging/phone_raws_to_parse_drop")
    log.info("batch %d: normalized %d distinct phone values in %.1f s: %d in SQL, %d by phonenumbers",
             batch_id, in_sql + done, time.monotonic() - started, in_sql, done)
    return in_sql + done


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """HMAC-SHA256's inner and outer keys (RFC 2104: the key, hashed when longer than a block,
    padded to the block and xored with 0x36 and 0x5c), for SQL that has sha256 but no HMAC."""
    block = hashlib.sha256(key).digest() if len(key) > SHA256_BLOCK else key
    block = block.ljust(SHA256_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)


def normalize_in_sql(conn: duckdb.DuckDBPyConnection, batch_id: int, default_region: str, key: bytes,
                     page_size: int | None = None, at_least: int = 0) -> int:
    """Parse in SQL the batch's distinct raw values that SQL reads exactly as phonenumbers would,
    `page_size` (default SQL_PAGE) at a time, each page committed; returns how many it parsed
    (valid numbers only: every value it leaves, invalid or unusual, goes to phonenumbers);
    none when there are fewer than `at_least` values to parse.
    phone_metadata.py has the tables; sql/phones/ the statements, one region's metadata at a time."""
    if default_region not in phone_metadata.regions():
        return 0
    size = page_size or SQL_PAGE
    inner, outer = hmac_pads(key)
    parsed = after = 0
    warehouse.run(conn, "staging/phone_raws_to_parse_create", batch_id=batch_id)
    try:
        total = warehouse.run(conn, "staging/phone_raws_to_parse_count").fetchone()[0]
        if total < at_least:
            return 0
        with phone_metadata.registered(conn), progress.Progress(
                f"batch {batch_id}: normalizing phones in SQL", total, "values") as shown:
            warehouse.run(conn, "phones/default_variable_set", region=default_region)
            while after < total:
                warehouse.run(conn, "phones/work_create", after=after, size=size)
                try:
                    for (region,) in warehouse.run(conn, "phones/work_strip_regions").fetchall():
                        warehouse.run(conn, "phones/region_variable_set", region=region)
                        warehouse.run(conn, "phones/work_national_prefix_strip")
                    for (region,) in warehouse.run(conn, "phones/work_regions").fetchall():
                        warehouse.run(conn, "phones/region_variable_set", region=region)
                        warehouse.run(conn, "phones/work_region_set")
                    with warehouse.transaction(conn):
                        parsed += warehouse.run(conn, "phones/parses_insert_decided", batch_id=batch_id,
                                                hmac_inner=inner, hmac_outer=outer).fetchone()[0]
                finally:
                    warehouse.run(conn, "phones/work_drop")
                shown.advance(min(size, total - after))
                after += size
    finally:
        warehouse.run(conn, "staging/phone_raws_to_parse_drop")
    return parsed


def _insert_parses(conn: duckdb.DuckDBPyConnection, batch_id: int, raws: list[str], parsed: list[ParsedPhone],
                   key: bytes) -> None:
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
