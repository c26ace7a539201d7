"""A warehouse made by the 74 pre-squash schema files (frozen in tests/sql/pre_squash/) and then
migrated by today's code ends like a fresh one: same schemas, tables, columns, views, macros and
migration names, and its data kept. It also keeps what the DuckLake-portable baseline no longer
makes (its sequences, keys and their indexes), unused: its ids continue from `ops.id_counters`,
which starts where each sequence left off."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest

from optline import warehouse
from optline.warehouse import WarehouseError
from tests.conftest import PROJECT
from tests.helpers import warehouse_snapshot
from tests.sql.catalog import NOT_PORTABLE, catalog, differences, portable, sequence_values

PRE_SQUASH = Path(__file__).parent / "pre_squash"
FROZEN = sorted(PRE_SQUASH.glob("*.sql.frozen"))


def build_pre_squash(path: Path, files: list[Path] = FROZEN) -> None:
    """What warehouse.migrate did before the squash: each file once, in order, recorded by name."""
    conn = duckdb.connect(str(path))
    conn.execute(
        "create schema if not exists ops; "
        "create table if not exists ops.schema_migrations ("
        " name varchar primary key, applied_at timestamptz not null default current_timestamp)"
    )
    for file in files:
        conn.execute("begin transaction")
        conn.execute(file.read_text(encoding="utf-8"))
        conn.execute("insert into ops.schema_migrations (name) values (?)", [file.name.removesuffix(".sql.frozen")])
        conn.execute("commit")
    conn.close()


def literal(column: str, data_type: str, n: int) -> str:
    """A value of the column's type for row `n` (distinct per row, so keys stay unique)."""
    simple = {
        "BIGINT": str(n), "INTEGER": str(n), "DOUBLE": f"{n}.5", "BOOLEAN": "true" if n % 2 else "false",
        "VARCHAR": f"'{column}-{n}'", "DATE": f"date '1990-0{n}-15'", "JSON": f"'{{\"n\": {n}}}'::json",
        "TIMESTAMP WITH TIME ZONE": f"timestamptz '2026-0{n}-15 10:30:00+00'", "VARCHAR[]": f"['{column}-{n}', 'x']",
    }
    if data_type in simple:
        return simple[data_type]
    if data_type.startswith("STRUCT(") and data_type.endswith(")[]"):
        return f"cast([] as {data_type})"
    raise AssertionError(f"no test value for {column} {data_type}: add one to literal()")


def fill(conn, rows: int = 2) -> None:
    """A few rows in every table; ids from the tables' sequences (their defaults)."""
    tables = conn.execute("""select schema_name, table_name from duckdb_tables()
        where database_name = current_database() and not internal
            and (schema_name, table_name) != ('ops', 'schema_migrations')
        order by all""").fetchall()
    for schema, table in tables:
        columns = conn.execute("""select column_name, data_type from duckdb_columns()
            where database_name = current_database() and schema_name = ? and table_name = ?
                and coalesce(column_default, '') not like 'nextval%'
            order by column_index""", [schema, table]).fetchall()
        names = ", ".join(f'"{name}"' for name, _ in columns)
        for n in range(1, rows + 1):
            values = ", ".join(literal(name, data_type, n) for name, data_type in columns)
            conn.execute(f"insert into {schema}.{table} ({names}) values ({values})")


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> dict:
    """The catalog of a warehouse created by today's migrate."""
    conn = warehouse.connect(tmp_path_factory.mktemp("fresh") / "warehouse.duckdb")
    try:
        return catalog(conn)
    finally:
        conn.close()


def table_columns(conn) -> dict[str, list[str]]:
    """Each table's columns in order, as `schema.table` -> names."""
    found: dict[str, list[str]] = {}
    for table, column in conn.execute("""select table_schema || '.' || table_name, column_name
            from information_schema.columns where table_catalog = current_database()
            and (table_schema, table_name) in (select table_schema, table_name from information_schema.tables
                                               where table_type = 'BASE TABLE')
            order by table_schema, table_name, ordinal_position""").fetchall():
        found.setdefault(table, []).append(column)
    return found


MOVED = {("staging.row_outcomes", "contact_id")}
"""Columns a later migration moved to another table (141: staging.row_contacts)."""


def _without(rows: list[tuple], columns: list[str], kept: list[str]) -> list[tuple]:
    """`rows` with only the `kept` columns, in a fixed order."""
    at = [columns.index(c) for c in kept]
    return sorted((tuple(r[i] for i in at) for r in rows), key=repr)


@pytest.fixture
def pre_squash(tmp_path) -> Path:
    """A warehouse file made by the pre-squash schema files, with rows in every table."""
    path = tmp_path / "pre_squash.duckdb"
    build_pre_squash(path)
    conn = duckdb.connect(str(path))
    fill(conn)
    conn.close()
    return path


def test_the_frozen_history_is_the_one_the_baseline_replaces():
    replaced = (PROJECT / "sql" / "schema" / "000_baseline" / "replaces.txt").read_text().splitlines()
    names = [line for line in replaced if line and not line.startswith("#")]
    assert names == [p.name.removesuffix(".sql.frozen") for p in FROZEN]
    assert len(names) == 74


def test_a_pre_squash_warehouse_migrates_to_the_fresh_schema_keeping_its_data(pre_squash, fresh):
    before = duckdb.connect(str(pre_squash))
    rows, sequences, columns = warehouse_snapshot(before), sequence_values(before), table_columns(before)
    old_names = {name for (name,) in before.execute("select name from ops.schema_migrations").fetchall()}
    reached = before.execute("select max(applied_at) from ops.schema_migrations").fetchone()[0]
    before.close()
    assert len(old_names) == 74 and all(rows[t] for t in rows if t != "ops.schema_migrations")

    conn = warehouse.connect(pre_squash)
    try:
        assert differences(portable(catalog(conn)), portable(fresh)) == {}
        assert set(differences(catalog(conn), fresh)) <= {"tables", "columns", *NOT_PORTABLE}
        # every row is kept, in the columns it had (later migrations may add columns and tables,
        # and move one: MOVED), or in the table the column moved to
        moved = {t: [c for c in cols if (t, c) not in MOVED] for t, cols in columns.items()}
        after = {t: sorted(conn.execute(f"select {', '.join(cols)} from {t}").fetchall(), key=repr)
                 for t, cols in moved.items() if t != "ops.schema_migrations"}
        assert after == {t: _without(r, columns[t], moved[t]) for t, r in rows.items() if t != "ops.schema_migrations"}
        outcomes = columns["staging.row_outcomes"]
        kept = sorted((r[outcomes.index("batch_id")], r[outcomes.index("row_number")], r[outcomes.index("contact_id")])
                      for r in rows["staging.row_outcomes"] if r[outcomes.index("contact_id")] is not None)
        assert kept and conn.execute("select batch_id, row_number, contact_id from staging.row_contacts "
                                     "order by all").fetchall() == kept
        assert sequence_values(conn) == sequences and None not in sequences.values()
        # the baseline stands for the history it replaces, recorded when that history ended
        assert conn.execute("select name, applied_at from ops.schema_migrations where name = '000_baseline'"
                            ).fetchall() == [("000_baseline", reached)]
        names = {n for (n,) in conn.execute("select name from ops.schema_migrations").fetchall()}
        assert names == set(warehouse.migrations())  # the old names are gone, later migrations applied
        assert warehouse.migrate(conn) == []  # once adopted, nothing more to do
        batch_ids = """select max(batch_id) from (select batch_id from ops.batches union all
            select batch_id from ops.optout_batches union all select batch_id from ops.inbound_batches
            union all select batch_id from ops.confirmation_batches)"""
        counters = dict(conn.execute("select name, last_id from ops.id_counters").fetchall())
        assert counters["batch_id"] == sequences["ops.batch_id_seq"] >= conn.execute(batch_ids).fetchone()[0]
        assert counters["contact_id"] == sequences["core.contact_id_seq"]  # no id spent is handed out again
    finally:
        conn.close()


def test_the_comparison_sees_a_missing_view(pre_squash, tmp_path, monkeypatch):
    """The check can fail: without the marts.audiences file, a fresh warehouse lacks the view that
    the pre-squash one keeps."""
    sql = tmp_path / "sql"
    shutil.copytree(PROJECT / "sql", sql)
    (sql / "views" / "marts" / "audiences.sql").unlink()
    monkeypatch.setenv("OPTLINE_SQL_DIR", str(sql))
    fresh_conn = warehouse.connect(tmp_path / "fresh.duckdb")
    migrated = warehouse.connect(pre_squash)
    try:
        found = differences(portable(catalog(migrated)), portable(catalog(fresh_conn)))
    finally:
        fresh_conn.close()
        migrated.close()
    assert set(found) == {"views", "columns"}
    assert [row[:2] for row in found["views"]["only_first"]] == [("marts", "audiences")]


def test_the_comparison_sees_a_column_out_of_place(tmp_path, monkeypatch, fresh):
    """The check can fail: a baseline whose ops.batches lists rule_parameters elsewhere than where
    the ALTER of the old history put it (last) is not the same schema."""
    sql = tmp_path / "sql"
    shutil.copytree(PROJECT / "sql", sql)
    batches = sql / "schema" / "000_baseline" / "100_ops_batches.sql"
    text = batches.read_text()
    moved = re.sub(r",\n\s*rule_parameters\s+json[^\n]*\n", "\n", text)
    moved = re.sub(r"(\n\s*)kind\b", r"\1rule_parameters json,\1kind", moved, count=1)
    assert moved != text and moved.count("rule_parameters") == 1
    batches.write_text(moved)
    monkeypatch.setenv("OPTLINE_SQL_DIR", str(sql))
    conn = warehouse.connect(tmp_path / "moved.duckdb")
    try:
        found = differences(catalog(conn), fresh)
    finally:
        conn.close()
    assert {"tables", "columns"} <= set(found)


def test_a_partly_migrated_pre_squash_warehouse_is_refused(tmp_path):
    path = tmp_path / "old.duckdb"
    build_pre_squash(path, FROZEN[:-1])
    with pytest.raises(WarehouseError, match=r"predates the schema squash .* lacks 1 of the migrations"):
        warehouse.connect(path)
    conn = duckdb.connect(str(path))
    try:  # and left as it was
        assert conn.execute("select count(*) from ops.schema_migrations").fetchone()[0] == 73
    finally:
        conn.close()
