"""Staged rows as Arrow tables: lineage, mapped cells, `extra`, read issues, chunk sizes."""

from __future__ import annotations

import json

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optline.intake.chunks import registered, rows_table, staged_chunks, staging_columns, table

DATA = ["phone_raw", "first_name", "email"]


def chunks(records, *, width=3, by_column=None, names=("Phone", "Name", "Notes"), chunk_rows=100):
    return list(staged_chunks(records, batch_id=7, data_columns=DATA,
                              by_column={"phone_raw": 0, "first_name": 1} if by_column is None else by_column,
                              width=width, names=names, chunk_rows=chunk_rows))


def test_a_chunk_has_the_lineage_then_the_data_columns_then_extra():
    [chunk] = chunks([(2, ["4155550101", "Ann", "vip"])])
    assert chunk.column_names == staging_columns(DATA) == [
        "batch_id", "row_number", "line_number", "read_issue", "read_detail", "phone_raw", "first_name", "email",
        "extra"]
    assert chunk.to_pylist() == [{"batch_id": 7, "row_number": 1, "line_number": 2, "read_issue": None,
                                  "read_detail": None, "phone_raw": "4155550101", "first_name": "Ann", "email": None,
                                  "extra": json.dumps({"Notes": "vip"})}]
    assert chunk.schema.field("row_number").type == pa.int64() and chunk.schema.field("email").type == pa.string()


def test_cells_are_trimmed_and_a_short_row_leaves_the_missing_columns_empty():
    [chunk] = chunks([(1, ["  4155550101 ", ""])])
    row = chunk.to_pylist()[0]
    assert (row["phone_raw"], row["first_name"], row["extra"]) == ("4155550101", None, None)


def test_blank_rows_and_cells_past_the_header_are_kept_with_their_issue():
    [chunk] = chunks([(1, ["", " "]), (2, ["4155550101", "Ann", "", "stray"]), (3, ["4155550102", "Bo", "", ""])])
    rows = chunk.to_pylist()
    assert [(r["row_number"], r["read_issue"], r["read_detail"]) for r in rows] == [
        (1, "blank_row", "the row is empty"), (2, "extra_fields", "the row has 4 fields; the header has 3"),
        (3, None, None)]
    assert json.loads(rows[1]["extra"]) == {"column_4": "stray"}  # unnamed cells are named by position


def test_without_a_header_no_row_has_extra_fields():
    [chunk] = chunks([(1, ["4155550101", "Ann", "x", "y"])], width=None, names=())
    row = chunk.to_pylist()[0]
    assert row["read_issue"] is None and json.loads(row["extra"]) == {"column_3": "x", "column_4": "y"}


def test_rows_are_numbered_across_chunks_of_at_most_chunk_rows():
    out = chunks([(n + 1, [f"41555501{n:02d}"]) for n in range(5)], chunk_rows=2)
    assert [c.num_rows for c in out] == [2, 2, 1]
    assert [r["row_number"] for c in out for r in c.to_pylist()] == [1, 2, 3, 4, 5]


def test_no_records_no_chunk():
    assert chunks([]) == []


def test_table_and_rows_table_type_columns_as_text_unless_told():
    built = rows_table([{"n": 1, "s": "a", "other": "ignored"}, {"n": 2, "s": None}], ["n", "s"], {"n": pa.int64()})
    assert built.equals(table({"n": [1, 2], "s": ["a", None]}, {"n": pa.int64()}))
    assert built.schema.types == [pa.int64(), pa.string()]


def test_a_registered_table_is_withdrawn_even_when_the_sql_fails():
    conn = duckdb.connect()
    with pytest.raises(duckdb.Error), registered(conn, "chunk", table({"x": ["a"]})):
        assert conn.execute("select x from chunk").fetchall() == [("a",)]
        conn.execute("select no_such_column from chunk")
    with pytest.raises(duckdb.CatalogException):
        conn.execute("select * from chunk")


_CELL = st.one_of(st.just(""), st.just(" "), st.sampled_from(["\u00a0x\u2003", "\x1c", "\u3000", "\x85y", "a b"]),
                  st.text(max_size=6))


@settings(max_examples=300, deadline=None)
@given(records=st.lists(st.lists(_CELL, max_size=6), min_size=1, max_size=25),
       width=st.one_of(st.none(), st.integers(min_value=1, max_value=5)),
       mapped=st.lists(st.integers(min_value=0, max_value=6), max_size=3, unique=True))
def test_plain_records_built_column_by_column_equal_the_cell_by_cell_table(records, width, mapped):
    from optline.intake.chunks import _columnar_chunk, _row_chunk

    chunk = [(line * 2 + 1, cells) for line, cells in enumerate(records)]
    by_column = dict(zip(DATA, mapped))
    names = ("Phone", "Name", "Notes")
    columnar = _columnar_chunk(chunk, 10, 7, DATA, by_column, width, names)
    by_row = _row_chunk(chunk, 10, 7, DATA, by_column, width, names)
    assert columnar.schema == by_row.schema
    assert columnar.to_pylist() == by_row.to_pylist()


def test_the_whitespace_trimmed_is_what_str_strip_strips():
    from optline.intake.chunks import _WHITESPACE

    assert _WHITESPACE == "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
