"""The warehouse's DuckDB settings keep an import's memory bounded, on every way it is opened."""

from __future__ import annotations

import re

import duckdb
import pytest

from optline import warehouse

UNITS = {"bytes": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40,
         "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12}
# The whole import (Python, DuckDB, the phone-parsing workers) must stay under 2 GiB.
DUCKDB_BUDGET = 1.5 * 2**30


def settings(conn) -> dict[str, str]:
    return dict(conn.execute("select name, value from duckdb_settings() where name in "
                             "('memory_limit', 'temp_directory', 'threads', 'enable_progress_bar')").fetchall())


def size(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)\s*(\w+)", text).groups()
    return float(number) * UNITS[unit]


def opened(how: str, path):
    if how == "connect":
        return warehouse.connect(path)
    if how == "read-only":
        warehouse.connect(path).close()
        return warehouse.connect(path, read_only=True)
    return warehouse.prepare(duckdb.connect(str(path)))       # DuckDBHook's connection, in Airflow


@pytest.mark.parametrize("how", ["connect", "read-only", "prepare"])
def test_duckdb_memory_is_capped_and_spills_beside_the_warehouse(data_dir, how):
    path = data_dir / "warehouse.duckdb"
    conn = opened(how, path)
    try:
        found = settings(conn)
    finally:
        conn.close()
    assert size(found["memory_limit"]) <= DUCKDB_BUDGET            # DuckDB's own default: 80 % of RAM
    assert found["temp_directory"] == str(path) + ".tmp"           # under the data folder
    assert 1 <= int(found["threads"]) <= warehouse.MAX_THREADS
    assert found["enable_progress_bar"] == "false"                 # no progress bar drawn into the logs
