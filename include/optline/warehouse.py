"""The DuckDB warehouse: open it, bring its schema up to date, run named SQL files.

Every SQL statement lives in `sql/<stage>/<name>.sql`, one statement per file, and is
run by name: `run(conn, "merge/lists_insert_new", batch_id=3)`. Parameters are
DuckDB named parameters (`$batch_id`); only the ones a file uses are passed to it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from optline.config import PROJECT_DIR, paths

_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")


class WarehouseError(RuntimeError):
    """The warehouse cannot be opened or is not in the expected state."""


@cache
def _sql_text(sql_dir: Path, name: str) -> str:
    path = sql_dir / f"{name}.sql"
    if not path.is_file():
        raise WarehouseError(f"no SQL file {path}: every statement must live under sql/<stage>/<name>.sql")
    return path.read_text(encoding="utf-8")


def sql_text(name: str) -> str:
    """The text of `sql/<name>.sql` (OPTLINE_SQL_DIR, else the project's sql/; read at call time)."""
    custom = os.environ.get("OPTLINE_SQL_DIR")
    return _sql_text(Path(custom).expanduser().resolve() if custom else PROJECT_DIR / "sql", name)


def run(conn: duckdb.DuckDBPyConnection, name: str, **params: Any) -> duckdb.DuckDBPyConnection:
    """Execute `sql/<name>.sql` with the named parameters it refers to."""
    text = sql_text(name)
    wanted = set(_PARAM.findall(text))
    missing = wanted - params.keys()
    if missing:
        raise WarehouseError(f"sql/{name}.sql needs parameters {sorted(missing)}")
    return conn.execute(text, {k: v for k, v in params.items() if k in wanted} or None)


def connect(database: str | Path | None = None, *, read_only: bool = False,
            migrate_schema: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file (default: OPTLINE_WAREHOUSE) and migrate it unless read-only.

    Extensions are never downloaded: `autoinstall_known_extensions` is off. The ones Optline
    uses (icu for time zones, json) are linked into the duckdb wheel.
    """
    target = Path(database) if database else paths().warehouse
    if not read_only:
        target.parent.mkdir(parents=True, exist_ok=True)
    elif not target.exists():
        raise WarehouseError(f"no warehouse at {target}: run an import first (make demo)")
    try:
        conn = duckdb.connect(
            str(target),
            read_only=read_only,
            config={"autoinstall_known_extensions": False},
        )
    except duckdb.IOException as exc:
        raise WarehouseError(
            f"cannot open {target}: {exc}. DuckDB allows one writing process; "
            "close other clients (or open read-only) and retry."
        ) from exc
    conn.execute("set TimeZone = 'UTC'")
    if migrate_schema and not read_only:
        migrate(conn)
    return conn


def prepare(conn: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Set session options on a connection opened elsewhere (e.g. by DuckDBHook) and migrate."""
    conn.execute("set TimeZone = 'UTC'")
    migrate(conn)
    return conn


def migrations(sql_dir: Path | None = None) -> list[str]:
    """Names of the schema files, in the order they apply (`sql/schema/NNN_*.sql`)."""
    root = (sql_dir or paths().sql_dir) / "schema"
    return sorted(p.stem for p in root.glob("*.sql"))


def migrate(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply the schema files not applied yet, each once, in order. Returns those applied."""
    conn.execute(
        "create schema if not exists ops; "
        "create table if not exists ops.schema_migrations ("
        " name varchar primary key, applied_at timestamptz not null default current_timestamp)"
    )
    done = {r[0] for r in conn.execute("select name from ops.schema_migrations").fetchall()}
    applied = []
    for name in migrations():
        if name in done:
            continue
        with transaction(conn):
            run(conn, f"schema/{name}")
            conn.execute("insert into ops.schema_migrations (name) values (?)", [name])
        applied.append(name)
    return applied


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All-or-nothing: commit when the block ends, roll back if it raises."""
    conn.execute("begin transaction")
    try:
        yield conn
    except BaseException:
        conn.execute("rollback")
        raise
    conn.execute("commit")


def fetch_dicts(conn: duckdb.DuckDBPyConnection, name: str, **params: Any) -> list[dict[str, Any]]:
    """Run a named query and return its rows as dicts."""
    cur = run(conn, name, **params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row)) for row in cur.fetchall()]
