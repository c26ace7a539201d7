"""The warehouse's upkeep (`warehouse.maintain`, `optline maintain`, the warehouse_maintenance
DAG): a lake's small files merged and old snapshots expired, every row reading the same."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from optline import warehouse
from tests.conftest import PROJECT


def small_writes(conn, count: int = 24) -> None:
    """What a day of small batches leaves: one transaction per insert, then updates (delete files)."""
    for i in range(count):
        with warehouse.transaction(conn):
            conn.execute("insert into core.tags (tag_id, name, name_key) values (?, ?, ?)", [i, f"Tag {i}", f"tag {i}"])
    for i in range(0, count, 3):
        with warehouse.transaction(conn):
            conn.execute("update core.tags set name = name || '!' where tag_id = ?", [i])


def files(conn) -> tuple[int, int]:
    return conn.execute("select sum(file_count)::bigint, sum(delete_file_count)::bigint "
                        "from ducklake_table_info(current_database()) where table_name = 'tags'").fetchone()


def tags(conn) -> list[tuple]:
    return conn.execute("select tag_id, name, name_key from core.tags order by tag_id").fetchall()


def snapshots(conn) -> int:
    return conn.execute("select count(*) from ducklake_snapshots(current_database())").fetchone()[0]


def test_upkeep_merges_what_small_writes_leave_and_every_row_reads_the_same(backend, conn):
    small_writes(conn)
    before = tags(conn)
    line = warehouse.maintain(conn, keep_days=0)
    assert tags(conn) == before
    if backend == "duckdb":
        assert line.startswith("one DuckDB file: checkpointed")
        return
    assert "data files" in line and "snapshots" in line
    data_files, delete_files = files(conn)
    assert (data_files, delete_files) == (1, 0), line
    assert snapshots(conn) == 1, "no snapshot older than 0 days is kept but the current one"


def test_upkeep_gives_the_thread_count_back_and_leaves_no_row_inlined(backend, conn):
    if backend == "duckdb":
        pytest.skip("a DuckDB file inlines nothing")
    small_writes(conn, count=6)
    conn.execute("set threads = 2")
    warehouse.maintain(conn, keep_days=0)
    assert conn.execute("select current_setting('threads')").fetchone()[0] == 2
    inlined = conn.execute("select count(*) from ducklake_table_info(current_database()) "
                           "where table_name = 'tags' and file_count = 0").fetchone()[0]
    assert inlined == 0, "the tags' inlined rows are in a data file after upkeep"


def test_snapshots_within_the_days_kept_still_read_as_they_were(backend, conn):
    if backend == "duckdb":
        pytest.skip("a DuckDB file keeps no snapshots")
    small_writes(conn, count=6)
    version = conn.execute("select max(snapshot_id) from ducklake_snapshots(current_database())").fetchone()[0]
    then = tags(conn)
    with warehouse.transaction(conn):
        conn.execute("delete from core.tags")
    warehouse.maintain(conn, keep_days=7)
    assert tags(conn) == []
    assert conn.execute(f"select tag_id, name, name_key from core.tags at (version => {int(version)}) "
                        "order by tag_id").fetchall() == then
    assert files(conn)[1] == 0, "deletes are rewritten even when their snapshots are kept"


def test_optline_maintain_prints_what_it_did_and_refuses_negative_days(data_dir):
    env = {**os.environ, "OPTLINE_WAREHOUSE_FORMAT": "ducklake", "PYTHONPATH": str(PROJECT / "include")}
    cli = [sys.executable, "-c", "import sys; from optline.cli import main; sys.exit(main())", "maintain"]
    done = subprocess.run([*cli, "--keep-days", "0"], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "DuckLake" in done.stdout and "snapshots" in done.stdout
    refused = subprocess.run([*cli, "--keep-days", "-1"], env=env, capture_output=True, text=True, check=False)
    assert refused.returncode == 2 and "0 or more" in refused.stderr


def test_a_negative_keep_days_setting_is_a_clear_error(monkeypatch):
    from optline.config import ConfigError, lake_keep_days

    monkeypatch.setenv("OPTLINE_LAKE_KEEP_DAYS", "a week")
    with pytest.raises(ConfigError, match="OPTLINE_LAKE_KEEP_DAYS"):
        lake_keep_days()
