"""The warehouse: open it (a DuckLake, `optline.lake`, or one DuckDB file), bring its schema up
to date, run named SQL files.

Every SQL statement lives in `sql/<stage>/<name>.sql`, one statement per file, and is
run by name: `run(conn, "merge/lists_insert_new", batch_id=3)`. Parameters are
DuckDB named parameters (`$batch_id`); only the ones a file uses are passed to it.

The schema (see `migrate` and sql/README.md): tables and schemas come from the numbered
migrations in `sql/schema/` (`000_baseline/` first), each applied once; macros (`sql/macros/`) and
views (`sql/views/`) hold today's definitions and are re-created by every migrate.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from functools import cache
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

import duckdb

from optline import config, lake
from optline.config import paths

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
    return _sql_text(config.sql_dir(), name)


def run(conn: duckdb.DuckDBPyConnection, name: str, /, **params: Any) -> duckdb.DuckDBPyConnection:
    """Execute `sql/<name>.sql` with the named parameters it refers to."""
    text = sql_text(name)
    wanted = set(_PARAM.findall(text))
    missing = wanted - params.keys()
    if missing:
        raise WarehouseError(f"sql/{name}.sql needs parameters {sorted(missing)}")
    where = lake.of(conn)
    # an autocommit statement on a writing lake connection takes the writer's turn for itself
    turn = lake.writer_turn(where) if where is not None and not in_transaction(conn) else nullcontext()
    try:
        with turn:
            return conn.execute(text, {k: v for k, v in params.items() if k in wanted} or None)
    except duckdb.OutOfMemoryException as exc:
        raise WarehouseError(
            f"sql/{name}.sql ran out of the warehouse's memory ({exc}); its transaction was rolled back "
            "and the batch stays at its last committed step. "
            "Free memory on this machine (other processes) or split the file, then run again") from exc


def connect(database: str | Path | None = None, *, read_only: bool = False,
            migrate_schema: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file (default: OPTLINE_WAREHOUSE) and migrate it unless read-only.

    Extensions are never downloaded: `autoinstall_known_extensions` is off. The ones Optline
    uses (icu for time zones, json) are linked into the duckdb wheel.
    """
    where = lake.location(database)
    if where is not None:
        return _connect_lake(where, read_only=read_only, migrate_schema=migrate_schema)
    target = Path(database) if database else paths().warehouse
    if not read_only:
        target.parent.mkdir(parents=True, exist_ok=True)
        owner_only(target)
    elif not target.exists():
        raise WarehouseError(f"no warehouse at {target}: run an import first (make demo)")
    try:
        conn = duckdb.connect(
            str(target),
            read_only=read_only,
            config={"autoinstall_known_extensions": False, **connection_settings(target)},
        )
    except duckdb.IOException as exc:
        raise cannot_open(target, exc, then="Run the command again once it has finished.") from exc
    session_settings(conn)
    if migrate_schema and not read_only:
        migrate(conn, definitions_always=False)
    return conn


def _connect_lake(where: lake.Location, *, read_only: bool, migrate_schema: bool) -> duckdb.DuckDBPyConnection:
    new = not read_only and lake.file_format(where.path) is None and not where.postgres_dsn
    digest = schema_digest() if new else None  # read the SQL files only for a lake made here
    if not read_only:
        owner_only(where.path)
    if digest:
        lake.create_from_template(where, digest)
    conn = lake.connect(where, read_only=read_only, settings=connection_settings(where.path))
    session_settings(conn)
    if migrate_schema and not read_only and migrate(conn, definitions_always=False) and digest:
        lake.keep_template(where, digest)
    return conn


def convert_to_lake(source: Path, target: Path) -> dict[str, int]:
    """Copy a warehouse that is one DuckDB file into a new lake (catalog `target`, or in
    PostgreSQL when OPTLINE_LAKE_CATALOG says so), every table in one transaction: all of it
    or nothing. The file's schema is brought up to date first; the file itself is kept, unchanged
    after that. Returns the rows copied per table (`schema.table`), each checked against the file."""
    source, target = Path(source).expanduser().resolve(), Path(target).expanduser().resolve()
    if lake.file_format(source) != "duckdb":
        raise WarehouseError(f"{source} is not a warehouse that is one DuckDB file: nothing to convert")
    catalog = config.lake_catalog()
    where = lake.Location(target, None if catalog == "sqlite" else catalog.removeprefix("postgres:").strip())
    if where.postgres_dsn is None and target.exists():
        raise WarehouseError(f"{target} exists already: convert into a new catalog path (--to), or remove it "
                             "if it is a lake you made by mistake")
    connect(source).close()  # its migrations, while this process is its only user
    conn = _connect_lake(where, read_only=False, migrate_schema=True)
    try:
        with lake.source_attached(conn, source), transaction(conn):
            return lake.copy_tables(conn, where, source)
    finally:
        conn.close()


MEMORY_LIMIT = "1GiB"
"""DuckDB's memory limit for the warehouse (its buffer pool: tables, hash tables, sorts; DuckDB's own
default is 80 % of the machine's RAM). Above it DuckDB spills to `TEMP_SUFFIX`. Sized so that with
the Python process (~300 MiB once Great Expectations is imported) and the phone-parsing workers
(~60 MiB PSS each) an import fits in 2 GiB: 1.6 GiB peak at 1M rows (bench/import_bench.py). Not
covered by it: what DuckDB holds for rows inserted in a still-open transaction (~250 MiB per
million rows), so a step that inserts millions of rows in one transaction needs committing in
chunks to stay bounded (bench/README.md, "The 1 GB file")."""
MAX_THREADS = 4
"""DuckDB's threads: the machine's cores, at most this many (each thread needs its share of the
memory limit for joins and sorts; more threads than that buys little for one import)."""
TEMP_SUFFIX = ".tmp"
"""Where DuckDB spills what does not fit in `MEMORY_LIMIT`: `<warehouse>.tmp/` beside the database
file, under the data folder (created by DuckDB when it first spills, owner-only like the file)."""


BULK_WRITE_MEMORY_LIMIT = "640MiB"
"""DuckDB's memory limit while a merge writes (`bulk_write_memory`). Measured on this machine: an
insert of 13.7M contacts numbered in order held 1,388 MiB of process memory under the 1 GiB
limit and 866 MiB under 600 MiB (49 s instead of 34 s); what DuckDB holds beyond its limit for a
large write comes on top of the Python process (~500 MiB after Great Expectations), so a 1 GB
file's merge peaked at 2,461 MiB with the 1 GiB limit."""


@contextmanager
def bulk_write_memory(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """DuckDB's memory limit lowered to `BULK_WRITE_MEMORY_LIMIT` for a large write, then back to
    `MEMORY_LIMIT` (a database-wide setting: the process's other connections share it)."""
    conn.execute(f"set memory_limit = '{BULK_WRITE_MEMORY_LIMIT}'")
    try:
        yield
    finally:
        conn.execute(f"set memory_limit = '{MEMORY_LIMIT}'")


SCRATCH = "optline_scratch"
"""An in-memory database attached to the warehouse's DuckDB instance (every cursor of a
connection sees it; what does not fit in `MEMORY_LIMIT` spills to the temp folder) for rows a
reader queries many times: `materialized`."""


@contextmanager
def materialized(conn: duckdb.DuckDBPyConnection, name: str, /, *, batch_id: int) -> Iterator[str]:
    """The rows of `sql/<name>.sql` (a select with a `batch_id` column) for one batch, computed
    once into a table of `SCRATCH`, for a reader that queries them many times (Great
    Expectations runs one query per metric: over a view each would compute it again). Yields a
    query that reads the table; the table is dropped afterwards."""
    table = f"{SCRATCH}.{name.replace('/', '_')}_{batch_id}_{os.getpid()}"
    conn.execute(f"attach if not exists ':memory:' as {SCRATCH}")
    conn.execute(f"create or replace table {table} as select * from ({sql_text(name)}\n) as dataset "
                 "where dataset.batch_id = $batch_id", {"batch_id": batch_id})
    try:
        yield f"select * from {table}"
    finally:
        conn.execute(f"drop table if exists {table}")


def connection_settings(database: Path) -> dict[str, Any]:
    """DuckDB's database-wide settings for bounded memory: `MEMORY_LIMIT`, the spill folder
    (`TEMP_SUFFIX`) and `MAX_THREADS`."""
    return {
        "memory_limit": MEMORY_LIMIT,
        "temp_directory": str(database.with_name(database.name + TEMP_SUFFIX)),
        "threads": max(1, min(os.cpu_count() or 1, MAX_THREADS)),
    }


def session_settings(conn: duckdb.DuckDBPyConnection) -> None:
    """Per connection: UTC, and no progress bar (DuckDB draws it on stderr, into every log)."""
    conn.execute("set TimeZone = 'UTC'")
    conn.execute("set enable_progress_bar = false")


def apply_settings(conn: duckdb.DuckDBPyConnection, database: Path) -> None:
    """`connection_settings` on a connection opened elsewhere (DuckDBHook's)."""
    for name, value in connection_settings(database).items():
        literal = "'" + str(value).replace("'", "''") + "'" if isinstance(value, str) else str(value)
        conn.execute(f"set {name} = {literal}")


_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


def cannot_open(database: str | Path, exc: duckdb.IOException, *, then: str) -> WarehouseError:
    """What to say when DuckDB cannot open the warehouse file: for a lock another process holds
    (DuckDB names its program and PID), who holds it and what to do, not DuckDB's own text (which
    points at the DuckDB shell's -readonly flag). `then` says what happens next, and where."""
    held = _LOCK_HOLDER.search(str(exc))
    if held is None:
        return WarehouseError(f"cannot open the warehouse {database}: {exc}. {then}")
    return WarehouseError(
        f"the warehouse {database} is busy: another process (PID {held['pid']}, {held['program']}) "
        f"holds it open, and while it does DuckDB lets no other process write the file. {then} "
        f"If this keeps happening, see what that process is (`ps -fp {held['pid']}`) and close it: a DuckDB "
        "shell, notebook or `optline` command left open on the warehouse (read it between runs).")


def prepare(conn: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Set session options on a connection opened elsewhere (e.g. by DuckDBHook) and migrate;
    its database file becomes owner-only (`owner_only`)."""
    for (path,) in run(conn, "migrate/database_file").fetchall():
        owner_only(Path(path))
        apply_settings(conn, Path(path))
    session_settings(conn)
    migrate(conn, definitions_always=False)
    return conn


OWNER_ONLY_UMASK = 0o077


def owner_only(database: Path) -> None:
    """Personal data stays its owner's: the database file and its WAL, if present, become 0600,
    and this process creates every file from now on for its owner only (umask 077: files 0600,
    folders 0700). The umask is what covers the WAL, which DuckDB deletes at each checkpoint and
    re-creates at the next write, and the reports and summaries written while the warehouse is
    open. Called for every writing connection (`connect`, `prepare`)."""
    os.umask(os.umask(OWNER_ONLY_UMASK) | OWNER_ONLY_UMASK)
    for path in (database, database.with_name(database.name + ".wal")):
        if path.is_file() and path.stat().st_mode & 0o077:
            path.chmod(0o600)


SCHEMA_DIR = "schema"
"""`sql/schema/`: the numbered migrations. `NNN_name.sql` is one statement; a folder `NNN_name/`
holds several (`NNN_step.sql`), applied in order in one transaction. Each is recorded once, by
name, in `ops.schema_migrations`. `000_baseline/` creates today's schemas and tables."""

DEFINITION_DIRS = ("macros", "views")
"""`sql/macros/<schema>/<name>.sql`, `sql/views/<schema>/<name>.sql`: one `create or replace` each,
today's definition, re-created by every migrate (macros, then views, dependencies first)."""

REPLACES = "replaces.txt"
"""In a migration folder: the names of the older migrations it squashes (one a line, `#` comments)."""

_MIGRATION = re.compile(r"\d{3}_[a-z0-9_]+")
_REFERENCE = re.compile(r"\b([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)\b")


@dataclass(frozen=True)
class Migration:
    """One numbered migration: its statements (names for `run`) and the older names it squashes."""

    name: str
    statements: tuple[str, ...]
    replaces: frozenset[str] = frozenset()


def _migrations(sql_dir: Path) -> list[Migration]:
    root = sql_dir / SCHEMA_DIR
    found = []
    for path in sorted(root.iterdir()) if root.is_dir() else []:
        name = path.name.removesuffix(".sql") if path.is_file() else path.name
        if not _MIGRATION.fullmatch(name) or (path.is_file() and path.suffix != ".sql"):
            continue
        if path.is_file():
            found.append(Migration(name, (f"{SCHEMA_DIR}/{name}",)))
            continue
        steps = tuple(f"{SCHEMA_DIR}/{name}/{p.stem}" for p in sorted(path.glob("*.sql")))
        if not steps:
            raise WarehouseError(f"migration folder {path} holds no .sql file")
        listed = path / REPLACES
        replaces = frozenset(
            line.strip() for line in (listed.read_text(encoding="utf-8").splitlines() if listed.is_file() else [])
            if line.strip() and not line.lstrip().startswith("#")
        )
        found.append(Migration(name, steps, replaces))
    return found


def migrations(sql_dir: Path | None = None) -> list[str]:
    """Names of the migrations in the order they apply (`sql/schema/NNN_*[.sql]`)."""
    return [m.name for m in _migrations(sql_dir or config.sql_dir())]


def _strip_comments(text: str) -> str:
    return re.sub(r"'(?:[^']|'')*'", "''", re.sub(r"--[^\n]*", "", text))


def definitions(sql_dir: Path | None = None) -> list[str]:
    """The macro and view files (names for `run`), in the order migrate re-creates them: each after
    the macros and views it refers to (`schema.name` in its text), else macros first, by name."""
    root = sql_dir or config.sql_dir()
    files = {}
    for rank, kind in enumerate(DEFINITION_DIRS):
        for path in sorted((root / kind).glob("*/*.sql")):
            files[f"{path.parent.name}.{path.stem}"] = (rank, f"{kind}/{path.parent.name}/{path.stem}", path)
    graph = TopologicalSorter()
    for obj, (_, _, path) in files.items():
        refers_to = {f"{s}.{n}" for s, n in _REFERENCE.findall(_strip_comments(path.read_text(encoding="utf-8")))}
        graph.add(obj, *sorted((refers_to & files.keys()) - {obj}))
    order = []
    try:
        graph.prepare()
    except CycleError as exc:
        raise WarehouseError(f"macros and views refer to each other in a cycle: {exc.args[1]}") from exc
    while graph.is_active():
        ready = sorted(graph.get_ready(), key=lambda obj: files[obj][:2])
        order += [files[obj][1] for obj in ready]
        graph.done(*ready)
    return order


def migrate(conn: duckdb.DuckDBPyConnection, *, definitions_always: bool = True) -> list[str]:
    """Bring the schema up to date; returns the names of the migrations recorded.

    1. Each migration not yet in `ops.schema_migrations` is applied, in order, in its own
       transaction, and recorded. A squashing migration (`000_baseline`) is not applied to a
       warehouse that has the migrations it replaces: they made the same tables, so it is only
       recorded (in their place) — all of them must be there. A new warehouse gets all of them
       in one transaction (one commit: a DuckLake commit costs 20-90 ms).
    2. Every macro and view is re-created from its file (one transaction), and the files' digest
       recorded in `ops.schema_definitions`. With `definitions_always=False` (what `connect`
       does) only when a migration ran or the files changed since the last time.
    3. If anything was recorded, a checkpoint writes it to the database file, so no schema change
       lives only in the WAL (DuckDB 1.5.5 cannot replay some `alter table` from the WAL). On a
       lake, tables never written get their empty statistics instead (`lake.prime_table_stats`).
    """
    sql_dir = config.sql_dir()
    bookkeeping(conn)
    done = {name for (name,) in run(conn, "migrate/schema_migrations_names").fetchall()}
    order = definitions(sql_dir)
    digest = definitions_digest(sql_dir, order)
    if not done:
        with transaction(conn):
            recorded = _apply_migrations(conn, sql_dir, done)
            _apply_definitions(conn, order, digest)
    else:
        recorded = _apply_migrations(conn, sql_dir, done)
        last = run(conn, "migrate/schema_definitions_digest").fetchone()
        if definitions_always or recorded or last is None or last[0] != digest:
            with transaction(conn):
                _apply_definitions(conn, order, digest)
    where = lake.of(conn)
    if where is None and recorded:
        conn.execute("checkpoint")
    elif where is not None and (recorded or definitions_always):
        with transaction(conn):
            lake.prime_table_stats(conn, where)
    return recorded


def _apply_migrations(conn: duckdb.DuckDBPyConnection, sql_dir: Path, done: set[str]) -> list[str]:
    recorded = []
    for migration in _migrations(sql_dir):
        if migration.name in done:
            continue
        if migration.replaces & done:
            _adopt(conn, migration, done)
        else:
            with atomic(conn):
                for statement in migration.statements:
                    _apply(conn, statement)
                run(conn, "migrate/schema_migrations_insert", migration=migration.name)
        done = (done - migration.replaces) | {migration.name}
        recorded.append(migration.name)
    return recorded


def _apply_definitions(conn: duckdb.DuckDBPyConnection, order: list[str], digest: str) -> None:
    for name in order:
        _apply(conn, name)
    run(conn, "migrate/schema_definitions_insert", digest=digest)


def schema_digest(sql_dir: Path | None = None) -> str:
    """A digest of everything a fresh migrate applies (sql/schema, sql/migrate, macros, views)."""
    root = sql_dir or config.sql_dir()
    h = hashlib.sha256()
    for folder in (SCHEMA_DIR, "migrate", *DEFINITION_DIRS):
        for path in sorted((root / folder).rglob("*")):
            if path.is_file():
                h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def definitions_digest(sql_dir: Path, order: list[str]) -> str:
    """A digest of the macro and view files (names and text), in the order they apply."""
    h = hashlib.sha256()
    for name in order:
        h.update(name.encode() + b"\0" + (sql_dir / f"{name}.sql").read_bytes() + b"\0")
    return h.hexdigest()


def _adopt(conn: duckdb.DuckDBPyConnection, migration: Migration, done: set[str]) -> None:
    """Record a squashing migration in place of the older ones it replaces (all applied here)."""
    missing = sorted(migration.replaces - done)
    if missing:
        raise WarehouseError(
            f"this warehouse predates the schema squash ({migration.name}) and lacks {len(missing)} of "
            f"the migrations it replaces ({', '.join(missing[:3])}{', ...' if len(missing) > 3 else ''}): "
            "migrate it with a checkout from before the squash first, or start a new warehouse"
        )
    replaced = sorted(migration.replaces)
    with atomic(conn):
        run(conn, "migrate/schema_migrations_adopt", migration=migration.name, replaced=replaced)
        run(conn, "migrate/schema_migrations_forget", replaced=replaced)


def _apply(conn: duckdb.DuckDBPyConnection, name: str) -> None:
    try:
        run(conn, name)
    except duckdb.Error as exc:
        exc.add_note(f"(applying sql/{name}.sql)")
        raise


def bookkeeping(conn: duckdb.DuckDBPyConnection) -> None:
    """The `ops` schema and `ops.schema_migrations`, which exist before any migration."""
    run(conn, "migrate/ops_schema_create")
    run(conn, "migrate/schema_migrations_create")
    run(conn, "migrate/schema_definitions_create")


_IN_TRANSACTION: set[int] = set()
"""`id()` of the connections inside a `transaction` block (DuckDB's Python client cannot say,
and a `begin` inside a transaction aborts it)."""


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All-or-nothing: commit when the block ends, roll back if it raises. On a lake the
    writer holds its turn (`lake.writer_turn`) from begin to commit."""
    where = lake.of(conn)
    with lake.writer_turn(where) if where is not None else nullcontext():
        conn.execute("begin transaction")
        _IN_TRANSACTION.add(id(conn))
        try:
            if where is not None and where.postgres_dsn and _has_write_guard(conn):
                run(conn, "lake/write_guard_take")
            yield conn
        except BaseException:
            _IN_TRANSACTION.discard(id(conn))
            conn.execute("rollback")
            raise
        _IN_TRANSACTION.discard(id(conn))
        try:
            conn.execute("commit")
        except duckdb.Error:
            _rollback_quietly(conn)
            raise


def _has_write_guard(conn: duckdb.DuckDBPyConnection) -> bool:
    """Whether the schema has `ops.write_guard` yet (not while the first migrations run)."""
    return bool(run(conn, "lake/write_guard_exists").fetchone()[0])


def maintain(conn: duckdb.DuckDBPyConnection, keep_days: float | None = None) -> str:
    """The warehouse's upkeep, in a line for logs: a lake's files merged, its snapshots older
    than `keep_days` (default OPTLINE_LAKE_KEEP_DAYS) expired (`lake.maintain`); a DuckDB file
    checkpointed (its WAL written into the file)."""
    where = lake.of(conn)
    if where is None:
        started = time.monotonic()
        conn.execute("checkpoint")
        return f"one DuckDB file: checkpointed in {time.monotonic() - started:.1f} s"
    days = config.lake_keep_days() if keep_days is None else keep_days
    return f"{where.describe()}, {days:g} days of snapshots kept: {lake.maintain(conn, where, days).line()}"


def forget_history(conn: duckdb.DuckDBPyConnection) -> None:
    """After a deletion of people: on a lake, expire the history that still holds them
    (`lake.forget_history`); a DuckDB file keeps no readable history."""
    where = lake.of(conn)
    if where is not None:
        lake.forget_history(conn, where)


def _rollback_quietly(conn: duckdb.DuckDBPyConnection) -> None:
    """After a failed commit (a DuckLake conflict), leave the connection usable."""
    try:
        conn.execute("rollback")
    except duckdb.Error:
        pass


def in_transaction(conn: duckdb.DuckDBPyConnection) -> bool:
    """Whether `conn` is inside a `transaction` block."""
    return id(conn) in _IN_TRANSACTION


@contextmanager
def atomic(conn: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """A block that must commit as one: part of the caller's `transaction` if there is one,
    else its own."""
    if in_transaction(conn):
        yield conn
        return
    with transaction(conn):
        yield conn


def fetch_dicts(conn: duckdb.DuckDBPyConnection, name: str, /, **params: Any) -> list[dict[str, Any]]:
    """Run a named query and return its rows as dicts."""
    cur = run(conn, name, **params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row)) for row in cur.fetchall()]
