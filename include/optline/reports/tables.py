"""A query's result for people or for pipes: DuckDB's table, CSV, or JSON (`optline query --format`).

    write_result(cursor, "csv", sys.stdout)

`table` is DuckDB's own rendering, at most `max_rows` rows (what `optline query` has always
printed); `csv` and `json` write every row, read from the cursor a page at a time (never held
whole), for another program: CSV with a header line, JSON as one array of objects (dates and
times in ISO 8601, decimals as numbers, lists and structs as JSON arrays and objects). Values
are written as the warehouse holds them: a CSV opened in a spreadsheet is not guarded against
cells it would run as formulas (the reports people open are: `optline.masking`).
"""

from __future__ import annotations

import base64
import contextlib
import csv
import datetime as dt
import decimal
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import duckdb

FORMATS = ("table", "csv", "json")
PAGE_ROWS = 10_000  # rows fetched from the cursor at a time for csv and json


def write_result(relation: duckdb.DuckDBPyRelation, fmt: str, out: TextIO, *, max_rows: int = 40) -> int | None:
    """Write `relation` (e.g. `conn.sql(query)`) to `out` in `fmt` (one of FORMATS); returns the
    rows written, None for `table` (DuckDB shows at most `max_rows` of them and says how many)."""
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r}: say one of {', '.join(FORMATS)}")
    if fmt == "table":
        with contextlib.redirect_stdout(out):  # DuckDB prints its table through Python's stdout
            relation.show(max_rows=max_rows)
        return None
    columns = list(relation.columns)
    pages = _pages(relation)
    return (_write_csv if fmt == "csv" else _write_json)(columns, pages, out)


def _pages(relation: duckdb.DuckDBPyRelation) -> Iterator[list[tuple]]:
    relation.execute()
    while page := relation.fetchmany(PAGE_ROWS):
        yield page


def _write_csv(columns: list[str], pages: Iterator[list[tuple]], out: TextIO) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    written = 0
    for page in pages:
        writer.writerows([[csv_cell(value) for value in row] for row in page])
        written += len(page)
    return written


def _write_json(columns: list[str], pages: Iterator[list[tuple]], out: TextIO) -> int:
    written = 0
    out.write("[")
    for page in pages:
        for row in page:
            out.write(",\n" if written else "\n")
            out.write(json.dumps(dict(zip(columns, (json_value(v) for v in row), strict=True)), ensure_ascii=False))
            written += 1
    out.write("\n]\n" if written else "]\n")
    return written


def aligned(columns: list[str], rows: list[list[Any]]) -> list[str]:
    """A small table as lines of text: a header line, then each row, every column as wide as its
    widest cell (for a few rows a person reads, e.g. `optline inspect`'s first rows)."""
    cells = [[str(c) for c in columns], *[["" if v is None else str(v) for v in row] for row in rows]]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() for line in cells]


def csv_cell(value: Any) -> str:
    """A value as one CSV cell: empty for NULL, ISO 8601 for dates and times, true/false,
    JSON for lists and structs, the text of anything else."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(json_value(value), ensure_ascii=False)
    converted = json_value(value)
    return converted if isinstance(converted, str) else str(converted)


def json_value(value: Any) -> Any:
    """A value DuckDB returned as JSON can hold it (see the module docstring)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    return str(value)


def write_result_file(relation: duckdb.DuckDBPyRelation, fmt: str, path: Path, *, max_rows: int = 40) -> int | None:
    """`write_result` into the file `path`, created owner-only (a result may hold personal data)
    beside it under a temporary name and renamed once whole: a query that fails leaves no file."""
    partial = path.with_name(f".{path.name}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            written = write_result(relation, fmt, out, max_rows=max_rows)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return written
