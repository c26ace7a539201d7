"""What a warehouse's schema is, read from DuckDB's catalog, to compare two warehouses."""

from __future__ import annotations

from typing import Any

# Everything that defines the schema; nothing that depends on the data (estimated sizes, a
# sequence's last value) or on the file (database name, object ids).
CATALOG = {
    "schemas": """select schema_name, comment, tags from duckdb_schemas()
        where database_name = current_database() and not internal""",
    "tables": """select schema_name, table_name, comment, tags, temporary, has_primary_key, column_count,
            index_count, check_constraint_count, sql
        from duckdb_tables() where database_name = current_database() and not internal""",
    # Tables' and views' columns, in order.
    "columns": """select schema_name, table_name, column_index, column_name, data_type, column_default,
            is_nullable, comment
        from duckdb_columns() where database_name = current_database() and not internal""",
    "constraints": """select schema_name, table_name, constraint_type, constraint_text, expression,
            constraint_column_indexes, constraint_column_names, constraint_name, referenced_table,
            referenced_column_names
        from duckdb_constraints() where database_name = current_database()""",
    # Not start_value nor sql: DuckDB persists a used sequence's counter as its start (data).
    "sequences": """select schema_name, sequence_name, comment, temporary, min_value, max_value, increment_by, cycle
        from duckdb_sequences() where database_name = current_database()""",
    "views": """select schema_name, view_name, comment, temporary, column_count, sql
        from duckdb_views() where database_name = current_database() and not internal""",
    "macros": """select schema_name, function_name, function_type, parameters, parameter_types, macro_definition
        from duckdb_functions()
        where database_name = current_database() and not internal and function_type in ('macro', 'table_macro')""",
    "indexes": """select schema_name, table_name, index_name, is_unique, is_primary, expressions, sql
        from duckdb_indexes() where database_name = current_database()""",
    "migrations": "select name from ops.schema_migrations",
}


def catalog(conn) -> dict[str, list[tuple[Any, ...]]]:
    """Each kind of schema object, as sorted rows: equal catalogs mean the same schema."""
    return {kind: sorted(conn.execute(query).fetchall(), key=repr) for kind, query in CATALOG.items()}


def differences(a: dict, b: dict) -> dict[str, dict[str, list]]:
    """Per kind, the rows only in `a` and only in `b` (empty: the same schema)."""
    found = {}
    for kind in a:
        only_a = [row for row in a[kind] if row not in b[kind]]
        only_b = [row for row in b[kind] if row not in a[kind]]
        if only_a or only_b:
            found[kind] = {"only_first": only_a, "only_second": only_b}
    return found


def sequence_values(conn) -> dict[str, int | None]:
    return dict(conn.execute("""select schema_name || '.' || sequence_name, last_value
        from duckdb_sequences() where database_name = current_database()""").fetchall())


# What the DuckLake-portable baseline (issue 12) no longer makes: a warehouse created before it
# keeps its sequences, keys and their indexes, unused (ids come from ops.id_counters; the
# statements keep keys unique). `portable` leaves them out of both sides of a comparison.
NOT_PORTABLE = ("constraints", "sequences", "indexes")


def portable(found: dict[str, list[tuple[Any, ...]]]) -> dict[str, list[tuple[Any, ...]]]:
    """A catalog without what only a pre-DuckLake warehouse has: sequences, constraints, indexes,
    `nextval` defaults, and the table facts that count or spell them."""
    kept = {kind: rows for kind, rows in found.items() if kind not in NOT_PORTABLE}
    kept["tables"] = sorted((row[:4] + (row[4], row[6])) for row in found["tables"])  # no key, index, check, sql
    kept["columns"] = sorted(
        row[:5] + (None if str(row[5] or "").startswith("nextval(") else row[5],) + row[6:]
        for row in found["columns"])
    return {kind: kept.get(kind, []) for kind in found if kind not in NOT_PORTABLE}
