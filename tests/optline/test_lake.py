"""The warehouse as a DuckLake: attaching it, its files, readers beside a writer, writers taking turns."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from optline import lake, warehouse


@pytest.fixture
def lake_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OPTLINE_WAREHOUSE_FORMAT", "ducklake")
    monkeypatch.delenv("OPTLINE_LAKE_CATALOG", raising=False)
    return tmp_path / "warehouse.sqlite"


def child(code: str, *args: str, env: dict | None = None) -> subprocess.Popen:
    """A separate process (another program on the same machine), with the project on its path."""
    environ = {**os.environ, "OPTLINE_WAREHOUSE_FORMAT": "ducklake", **(env or {})}
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], env=environ,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_new_lake_is_a_sqlite_catalog_and_a_data_folder_both_for_their_owner_only(lake_path):
    conn = warehouse.connect(lake_path)
    conn.execute("insert into core.tags (tag_id, name, name_key) values (1, 'VIP', 'vip')")
    conn.close()

    assert lake_path.read_bytes()[:16] == b"SQLite format 3\x00"
    data = lake_path.with_suffix(".files")
    assert list(data.rglob("*")), "the lake's data folder holds its files"
    for path in [lake_path, data, *data.rglob("*")]:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path


def test_two_new_lakes_in_one_process_are_separate_even_when_made_from_the_same_template(lake_path):
    first = warehouse.connect(lake_path)
    second_path = lake_path.with_name("other.sqlite")
    second = warehouse.connect(second_path)  # a copy of the first's fresh catalog, with its own data path
    second.execute("insert into core.tags (tag_id, name, name_key) values (1, 'VIP', 'vip')")

    assert second.execute("select count(*) from core.tags").fetchone() == (1,)
    assert first.execute("select count(*) from core.tags").fetchone() == (0,)
    assert second.execute("select count(*) from ops.schema_migrations").fetchone() == \
        first.execute("select count(*) from ops.schema_migrations").fetchone()


def test_a_reader_opened_before_a_write_sees_only_committed_rows_and_never_blocks_the_writer(lake_path):
    writer = warehouse.connect(lake_path)
    reader = child("""
        import sys
        from optline import warehouse
        conn = warehouse.connect(sys.argv[1], read_only=True)
        for _ in range(3):
            print(conn.execute("select count(*) from core.tags").fetchone()[0], flush=True)
            sys.stdin.readline()
    """, str(lake_path))
    assert reader.stdout.readline().strip() == "0"

    with warehouse.transaction(writer):
        writer.execute("insert into core.tags (tag_id, name, name_key) values (1, 'VIP', 'vip')")
        reader.stdin.write("\n")
        reader.stdin.flush()
        assert reader.stdout.readline().strip() == "0"  # not committed yet: not seen
    reader.stdin.write("\n")
    reader.stdin.flush()
    assert reader.stdout.readline().strip() == "1"  # committed while the reader was attached
    reader.stdin.write("\n")
    reader.stdin.close()
    assert reader.wait(timeout=60) == 0, reader.stderr.read()


@pytest.mark.parametrize("wait", [0.3])
def test_a_second_writer_waits_its_turn_and_gives_up_naming_the_writer(lake_path, wait):
    warehouse.connect(lake_path).close()
    holder = child("""
        import sys, time
        from optline import warehouse
        conn = warehouse.connect(sys.argv[1])
        with warehouse.transaction(conn):
            conn.execute("insert into core.tags (tag_id, name, name_key) values (1, 'a', 'a')")
            print("holding", flush=True)
            time.sleep(float(sys.argv[2]))
        print("committed", flush=True)
    """, str(lake_path), "3")
    assert holder.stdout.readline().strip() == "holding"

    waiter = child(f"""
        import sys, time
        from optline import lake, warehouse
        lake.WRITER_WAIT_SECONDS = {wait}
        conn = warehouse.connect(sys.argv[1], migrate_schema=False)
        try:
            with warehouse.transaction(conn):
                conn.execute("insert into core.tags (tag_id, name, name_key) values (2, 'b', 'b')")
        except lake.LakeError as exc:
            print("refused:", exc, flush=True)
    """, str(lake_path))
    out, err = waiter.communicate(timeout=60)
    assert f"PID {holder.pid}" in out and "busy" in out, out + err

    patient = child("""
        import sys
        from optline import warehouse
        conn = warehouse.connect(sys.argv[1], migrate_schema=False)
        with warehouse.transaction(conn):
            conn.execute("insert into core.tags (tag_id, name, name_key) values (2, 'b', 'b')")
        print(conn.execute("select count(*) from core.tags").fetchone()[0])
    """, str(lake_path))
    out, err = patient.communicate(timeout=120)
    assert holder.wait(timeout=60) == 0
    assert out.strip() == "2", err  # it waited for the first writer's commit, then wrote


def test_what_analyst_sql_prints_opens_the_lake_read_only_in_the_duckdb_shell(lake_path, tmp_path):
    conn = warehouse.connect(lake_path)
    conn.execute("insert into core.tags (tag_id, name, name_key) values (1, 'VIP', 'vip')")
    init = tmp_path / "analyst.sql"
    init.write_text(lake.analyst_sql(lake.location(lake_path)))
    shell = Path(sys.executable).with_name("duckdb")

    done = subprocess.run([str(shell), "-init", str(init), "-csv", "-c", "select name from core.tags"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "VIP"
    refused = subprocess.run([str(shell), "-init", str(init), "-c", "delete from core.tags"],
                             capture_output=True, text=True, timeout=60, check=False)
    assert "read-only" in (refused.stdout + refused.stderr).lower()
    assert conn.execute("select count(*) from core.tags").fetchone() == (1,)


def test_an_existing_duckdb_file_stays_one_when_the_lake_catalog_is_postgresql(tmp_path, monkeypatch):
    path = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("OPTLINE_WAREHOUSE_FORMAT", "duckdb")
    warehouse.connect(path).close()
    monkeypatch.setenv("OPTLINE_WAREHOUSE_FORMAT", "ducklake")
    monkeypatch.setenv("OPTLINE_LAKE_CATALOG", "postgres:host=127.0.0.1 dbname=nowhere")
    assert lake.location(path) is None
    assert lake.location(tmp_path / "new.sqlite") is not None
