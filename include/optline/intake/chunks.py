"""What was read, as Arrow tables for DuckDB: staged rows in chunks, and tables from columns or rows.

`staged_chunks` turns a file's records into tables of at most `chunk_rows` rows with the
columns every staging table shares (batch, row and line number, the read issue), the mapped
cells and the rest as JSON in `extra`. `registered` lends a table to the SQL that reads it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb
import pyarrow as pa

from optline.intake.readers import clean_cell, record_issue

LINEAGE_COLUMNS = ("batch_id", "row_number", "line_number", "read_issue", "read_detail")
_LINEAGE_TYPES = {"batch_id": pa.int64(), "row_number": pa.int64(), "line_number": pa.int64()}


def staging_columns(data_columns: Iterable[str]) -> list[str]:
    """A staged chunk's columns, in order: the lineage, the data columns, then `extra`."""
    return [*LINEAGE_COLUMNS, *data_columns, "extra"]


def staged_chunks(records: Iterable[tuple[int, list]], *, batch_id: int, data_columns: Sequence[str],
                  by_column: Mapping[str, int], width: int | None, names: Sequence[str],
                  chunk_rows: int) -> Iterator[pa.Table]:
    """Every record as one row of text cells, numbered from 1, in tables of at most `chunk_rows` rows.

    A data column takes the cell `by_column` maps it to (None when unmapped or past the row's
    end); every other non-empty cell goes to `extra` as JSON, named by `names` (else
    `column_<n>`). A row with no cell is a `blank_row`; one with non-empty cells past `width`
    (the header's length; None: no header) has `extra_fields`.
    """
    columns = staging_columns(data_columns)
    mapped = list(by_column.items())
    taken = set(by_column.values())
    buffer: dict[str, list] = {c: [] for c in columns}
    for row_number, (line_number, raw_cells) in enumerate(records, start=1):
        cells = [clean_cell(c) for c in raw_cells]
        issue, detail = record_issue(raw_cells)  # the reader's own (an XLSX formula with no saved value)
        if issue is not None:
            pass
        elif not any(cells):
            issue, detail = "blank_row", "the row is empty"
        elif width is not None and len(cells) > width and any(cells[width:]):
            issue, detail = "extra_fields", f"the row has {len(cells)} fields; the header has {width}"
        for name, value in zip(LINEAGE_COLUMNS, (batch_id, row_number, line_number, issue, detail)):
            buffer[name].append(value)
        for column, index in mapped:
            buffer[column].append(cells[index] if index < len(cells) else None)
        extra = {(names[i] if i < len(names) else f"column_{i + 1}"): cell
                 for i, cell in enumerate(cells) if cell and i not in taken}
        buffer["extra"].append(json.dumps(extra, ensure_ascii=False) if extra else None)
        if len(buffer["row_number"]) >= chunk_rows:
            yield _staged_table(buffer)
            buffer = {c: [] for c in columns}
    if buffer["row_number"]:
        yield _staged_table(buffer)


def _staged_table(buffer: dict[str, list]) -> pa.Table:
    rows = len(buffer["row_number"])
    return table({name: values or [None] * rows for name, values in buffer.items()}, _LINEAGE_TYPES)


def table(columns: Mapping[str, Sequence[Any]], types: Mapping[str, pa.DataType] | None = None) -> pa.Table:
    """A table of the given columns, in order; a column's type from `types`, else text."""
    types = types or {}
    return pa.table({name: pa.array(values, types.get(name, pa.string())) for name, values in columns.items()})


def rows_table(rows: Iterable[Mapping[str, Any]], columns: Sequence[str],
               types: Mapping[str, pa.DataType] | None = None) -> pa.Table:
    """A table of `columns` (in that order) from row dicts, each holding at least those keys."""
    out: dict[str, list] = {c: [] for c in columns}
    for row in rows:
        for column in columns:
            out[column].append(row[column])
    return table(out, types)


@contextmanager
def registered(conn: duckdb.DuckDBPyConnection, name: str, data: pa.Table) -> Iterator[None]:
    """`data` visible to `conn`'s SQL as the view `name` for the block, then withdrawn."""
    conn.register(name, data)
    try:
        yield
    finally:
        conn.unregister(name)
