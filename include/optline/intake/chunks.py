"""What was read, as Arrow tables for DuckDB: staged rows in chunks, and tables from columns or rows.

`staged_chunks` turns a file's records into tables of at most `chunk_rows` rows with the
columns every staging table shares (batch, row and line number, the read issue), the mapped
cells and the rest as JSON in `extra`. `registered` lends a table to the SQL that reads it.
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from optline.intake.lines import PlainLines, field_too_large
from optline.intake.readers import MalformedFileError, clean_cell, record_issue

BUILD_ROWS = 1_000  # records turned into one Arrow table at a time
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
    (the header's length; None: no header) has `extra_fields`; a record the reader found wrong
    (`readers.Cells` with a `read_issue`) keeps the reader's issue.

    A file whose records are its lines (`lines.PlainLines`) is split into columns by Arrow, a
    block of lines at a time (`_line_tables`); other records of plain text cells (quoted CSV) are
    turned into columns a few thousand at a time (`_columnar_chunk`: about 4x faster than cell by
    cell, the same table); a workbook's records, which may carry an issue, go cell by cell
    (`_row_chunk`). All three give the same table for the same records.
    """
    shape = {"batch_id": batch_id, "data_columns": data_columns, "by_column": by_column, "width": width,
             "names": names}
    tables = _line_tables(records, **shape) if isinstance(records, PlainLines) else \
        _record_tables(records, chunk_rows, **shape)
    yield from _rechunked(tables, chunk_rows)


def _record_tables(records: Iterable[tuple[int, list]], chunk_rows: int, **shape: Any) -> Iterator[pa.Table]:
    # A few thousand records at a time (BUILD_ROWS): Python objects of a small part stay in the
    # CPU's caches (100k rows at once took 2.8x as long).
    row_number = 0
    records = iter(records)
    while part := list(itertools.islice(records, min(BUILD_ROWS, chunk_rows))):
        yield _chunk_table(part, row_number, **shape)
        row_number += len(part)


def _line_tables(lines: PlainLines, **shape: Any) -> Iterator[pa.Table]:
    """A table per block of a plain file's lines, split into cells by Arrow."""
    row_number = 0
    for first_line, text in lines.blocks():
        cells_by_index, lengths = _split_lines(text, lines.delimiter, first_line, lines.path.name)
        rows = len(lengths)
        numbers = pa.array(range(first_line, first_line + rows), pa.int64())
        yield _columns_table(numbers, lengths, cells_by_index, row_number, **shape)
        row_number += rows


def _rechunked(tables: Iterable[pa.Table], chunk_rows: int) -> Iterator[pa.Table]:
    """The tables' rows again, `chunk_rows` to a table (the last one fewer)."""
    held: list[pa.Table] = []
    count = 0
    for part in tables:
        held.append(part)
        count += part.num_rows
        while count >= chunk_rows:
            whole = pa.concat_tables(held)
            yield whole.slice(0, chunk_rows)
            rest = whole.slice(chunk_rows)
            held, count = ([rest] if rest.num_rows else []), rest.num_rows
    if held:
        yield pa.concat_tables(held)


def _split_lines(text: str, delimiter: str | None, first_line: int, file_name: str) -> tuple[list[pa.Array], pa.Array]:
    """The lines of `text` (joined by LF; a CRLF's CR kept) as columns of clean cells, and each
    line's cell count. A cell over the csv module's field limit fails the file at its line, as
    `readers.read_delimited` does."""
    lines = pc.utf8_rtrim(pc.list_flatten(pc.split_pattern(pa.array([text], pa.string()), "\n")), characters="\r")
    if delimiter is None:
        return [_clean(lines)], pa.array(np.ones(len(lines), np.int32))
    parts = pc.split_pattern(lines, delimiter)
    lengths = pc.list_value_length(parts)
    flat = pc.list_flatten(parts)
    limit = csv.field_size_limit()
    sizes = pc.utf8_length(flat)
    if len(flat) and pc.max(sizes).as_py() > limit:
        first_big = pc.index(pc.greater(sizes, limit), True).as_py()
        row = int(np.searchsorted(parts.offsets.to_numpy(), first_big, side="right")) - 1
        raise MalformedFileError(file_name, first_line + row, field_too_large())
    starts = parts.offsets.slice(0, len(parts))
    columns = []
    for index in range(pc.max(lengths).as_py() if len(lines) else 0):
        at = pc.if_else(pc.greater(lengths, index), pc.add(starts, index), pa.scalar(None, pa.int32()))
        columns.append(_clean(pc.take(flat, at)))
    return columns, lengths


def _chunk_table(chunk: list[tuple[int, list]], before: int, batch_id: int, data_columns: Sequence[str],
                 by_column: Mapping[str, int], width: int | None, names: Sequence[str]) -> pa.Table:
    plain = all(type(cells) is list for _, cells in chunk)
    build = _columnar_chunk if plain else _row_chunk
    return build(chunk, before, batch_id, data_columns, by_column, width, names)


def _row_chunk(chunk: list[tuple[int, list]], before: int, batch_id: int, data_columns: Sequence[str],
               by_column: Mapping[str, int], width: int | None, names: Sequence[str]) -> pa.Table:
    columns = staging_columns(data_columns)
    mapped = list(by_column.items())
    taken = set(by_column.values())
    buffer: dict[str, list] = {c: [] for c in columns}
    for row_number, (line_number, raw_cells) in enumerate(chunk, start=before + 1):
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
    return _staged_table(buffer)


# What str.strip() strips (clean_cell), for Arrow's utf8_trim: the characters of Python 3.11's
# Unicode database for which str.isspace() holds (tests/optline/intake/test_chunks.py checks it).
_WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
               "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


def _columnar_chunk(chunk: list[tuple[int, list]], before: int, batch_id: int, data_columns: Sequence[str],
                    by_column: Mapping[str, int], width: int | None, names: Sequence[str]) -> pa.Table:
    """`_row_chunk`'s table, built column by column: the cells transposed by zip_longest, trimmed
    and emptied to null by Arrow (`_columns_table`)."""
    records = [cells for _, cells in chunk]
    lengths = [len(cells) for cells in records]
    cells_by_index = [_cleaned(column) for column in itertools.zip_longest(*records)] if max(lengths) else []
    return _columns_table(pa.array([line for line, _ in chunk], pa.int64()), pa.array(lengths, pa.int32()),
                          cells_by_index, before, batch_id, data_columns, by_column, width, names)


def _columns_table(lines: pa.Array, lengths: pa.Array, cells_by_index: list[pa.Array], before: int, batch_id: int,
                   data_columns: Sequence[str], by_column: Mapping[str, int], width: int | None,
                   names: Sequence[str]) -> pa.Table:
    """The staged table of records given as columns (cell `i` of every record, null when empty or
    past the record's end): Python touches a row only for (rarely) its extra cells or the detail
    of its issue."""
    rows = len(lines)
    present = [pc.is_valid(column) for column in cells_by_index]
    any_cell = _any(present, rows)
    issue: list[str | None] = [None] * rows
    detail: list[str | None] = [None] * rows
    for i in pc.indices_nonzero(pc.invert(any_cell)).to_pylist():
        issue[i], detail[i] = "blank_row", "the row is empty"
    if width is not None and len(present) > width:
        for i in pc.indices_nonzero(pc.and_(any_cell, _any(present[width:], rows))).to_pylist():
            issue[i], detail[i] = "extra_fields", f"the row has {lengths[i].as_py()} fields; the header has {width}"
    out: dict[str, pa.Array] = {
        "batch_id": pa.array(np.full(rows, batch_id, np.int64)),
        "row_number": pa.array(np.arange(before + 1, before + rows + 1, dtype=np.int64)),
        "line_number": lines,
        "read_issue": pa.array(issue, pa.string()),
        "read_detail": pa.array(detail, pa.string()),
    }
    nulls = pa.nulls(rows, pa.string())
    for column in data_columns:
        index = by_column.get(column)
        out[column] = cells_by_index[index] if index is not None and index < len(cells_by_index) else nulls
    out["extra"] = _extra_json(cells_by_index, present, set(by_column.values()), names, rows)
    return pa.table(out)


def _cleaned(values: tuple) -> pa.Array:
    """One column's cells as clean_cell leaves them: trimmed as str.strip() trims, empty as null."""
    return _clean(pa.array(values, pa.string()))


def _clean(values: pa.Array) -> pa.Array:
    trimmed = pc.utf8_trim(values, characters=_WHITESPACE)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def _any(flags: list[pa.Array], rows: int) -> pa.Array:
    found = pa.array([False] * rows, pa.bool_())
    for flag in flags:
        found = pc.or_(found, flag)
    return found


def _extra_json(cells_by_index: list[pa.Array], present: list[pa.Array], taken: set[int], names: Sequence[str],
                rows: int) -> pa.Array:
    """The non-empty cells no column takes, as JSON by their header's names (index order), per row."""
    others = [i for i in range(len(cells_by_index)) if i not in taken]
    extra: list[str | None] = [None] * rows
    if not others:
        return pa.array(extra, pa.string())
    values = {i: cells_by_index[i].to_pylist() for i in others}
    for row in pc.indices_nonzero(_any([present[i] for i in others], rows)).to_pylist():
        found = {(names[i] if i < len(names) else f"column_{i + 1}"): values[i][row] for i in others
                 if values[i][row] is not None}
        extra[row] = json.dumps(found, ensure_ascii=False)
    return pa.array(extra, pa.string())


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
