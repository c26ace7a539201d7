"""reports.tables: a query's values as CSV cells and JSON values another program reads back."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid

import duckdb
import pytest

from optline.reports.tables import aligned, csv_cell, json_value, write_result


@pytest.mark.parametrize(("value", "expected"), [
    (decimal.Decimal("12.00"), 12),
    (decimal.Decimal("1.25"), 1.25),
    (dt.date(2026, 11, 1), "2026-11-01"),
    (dt.timedelta(hours=2), "2:00:00"),
    (uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"),
    (b"\x00\xff", "AP8="),
    ({"a": [decimal.Decimal("2"), None]}, {"a": [2, None]}),
])
def test_json_value_gives_what_json_can_hold(value, expected):
    assert json_value(value) == expected
    json.dumps(json_value(value))


def test_csv_cell_writes_null_as_empty_booleans_as_words_and_nested_values_as_json():
    assert [csv_cell(v) for v in (None, True, 3, [1, "x"], {"k": None})] == ["", "true", "3", '[1, "x"]',
                                                                              '{"k": null}']


def test_an_unknown_format_is_refused_naming_the_formats():
    with pytest.raises(ValueError, match="table, csv, json"):
        write_result(duckdb.connect().sql("select 1"), "xml", None)


def test_aligned_pads_every_column_to_its_widest_cell():
    assert aligned(["a", "bb"], [["xxx", None], ["y", 1]]) == ["a    bb", "xxx", "y    1"]
