"""`optline query SQL --format table|csv|json [--output FILE]`: DuckDB's table for people, every
row as CSV or JSON for another program, on the real warehouse opened read-only."""

from __future__ import annotations

import csv
import io
import json
import stat

import pytest

from optline import warehouse
from optline.cli import main

# A result with the awkward values: a delimiter and a quote in a text, NULL, a list, a struct,
# a decimal, a timestamp; 60 rows, more than a table shows by default.
QUERY = ("select range as i, 'a,\"b\"' || range as s, null as n, [range, 2] as l, {'k': 1.50::decimal(4, 2)} as st, "
         "timestamptz '2026-11-01 12:00:00+00' as t from range(60) order by i")


@pytest.fixture
def migrated(data_dir):
    warehouse.connect(data_dir / "warehouse.duckdb").close()
    return data_dir


def test_csv_writes_a_header_and_every_row_whatever_max_rows_says(migrated, capsys):
    assert main(["query", QUERY, "--format", "csv", "--max-rows", "5"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["i", "s", "n", "l", "st", "t"]
    assert len(rows) == 61
    assert rows[1] == ["0", 'a,"b"0', "", "[0, 2]", '{"k": 1.5}', "2026-11-01T12:00:00+00:00"]


def test_json_writes_one_array_of_objects_with_typed_values(migrated, capsys):
    assert main(["query", QUERY, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 60
    assert rows[59] == {"i": 59, "s": 'a,"b"59', "n": None, "l": [59, 2], "st": {"k": 1.5},
                        "t": "2026-11-01T12:00:00+00:00"}


def test_json_of_no_rows_is_an_empty_array(migrated, capsys):
    assert main(["query", "select 1 as a where false", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_table_stays_the_default_and_shows_at_most_max_rows(migrated, capsys):
    assert main(["query", QUERY, "--max-rows", "4"]) == 0
    out = capsys.readouterr().out
    assert "│" in out and "60 rows" in out
    assert "a,\"b\"0" in out and "a,\"b\"30" not in out


def test_output_writes_an_owner_only_file_and_nothing_to_stdout(migrated, capsys):
    target = migrated / "out.json"
    assert main(["query", QUERY, "--format", "json", "--output", str(target)]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "60 row(s)" in captured.err
    assert len(json.loads(target.read_text(encoding="utf-8"))) == 60
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_query_that_fails_while_writing_leaves_no_output_file(migrated, capsys):
    target = migrated / "out.csv"
    with pytest.raises(Exception, match="Conversion Error|Could not convert"):
        main(["query", "select (case when range < 50000 then '1' else 'x' end)::int as v from range(100000)",
              "--format", "csv", "--output", str(target)])
    assert sorted(p.name for p in migrated.iterdir() if p.name.startswith((".out", "out"))) == []


def test_every_format_opens_the_warehouse_read_only(migrated):
    for fmt in ("table", "csv", "json"):
        with pytest.raises(Exception, match="read-only"):
            main(["query", "create table core.x (i int)", "--format", fmt])
