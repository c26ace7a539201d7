"""The warehouse as a DuckLake: where it lives, how a process attaches it, who may write when.

With `OPTLINE_WAREHOUSE_FORMAT=ducklake` the warehouse is a DuckLake (docs/warehouse_backends.md
has the measurements behind the choice): its catalog in SQLite (the file OPTLINE_WAREHOUSE names:
one machine) or in PostgreSQL (`OPTLINE_LAKE_CATALOG=postgres:<DSN>`: workers on several hosts),
its data as Parquet files in `warehouse.files/` beside the catalog `warehouse.sqlite`. Readers see
committed snapshots only and never stop a writer; an analyst attaches the lake read-only (`analyst_sql`).

Extensions come from the pinned `duckdb-extension-*` packages, loaded by path (never downloaded).
One DuckDB instance per process and lake holds them loaded (~0.2 s a load) and the lake attached;
each `connect` is a cursor of it (its own transactions). Writers take turns: SQLite refuses two
committing at once ("database is locked"), so a writer holds `<catalog>.writer.lock` (an OS lock,
released when the process dies) for each transaction. On PostgreSQL, DuckLake itself refuses
the second of two conflicting commits; the writing tasks also share one Airflow pool.

This module, like `warehouse`, is a runner: it holds the few statements that attach a lake.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib
import os
import sqlite3
import tempfile
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from optline import config

EXTENSIONS = {"sqlite": ("ducklake", "sqlite_scanner"), "postgres": ("ducklake", "postgres_scanner")}
SQLITE_BUSY_MS = 10_000
"""How long a SQLite catalog waits for another process's catalog write (WAL journal)."""
WRITER_WAIT_SECONDS = 600.0
"""How long a writer waits for another process's write transaction before giving up."""
DATA_SUFFIX = ".files"
"""The Parquet files of a lake whose catalog is `warehouse.sqlite`: the folder `warehouse.files/`."""


class LakeError(RuntimeError):
    """The lake cannot be attached or written; the message says what to do."""


@dataclass(frozen=True)
class Location:
    """A lake: its catalog (the SQLite file `path`, or a PostgreSQL DSN) and its data folder."""

    path: Path                  # the warehouse as OPTLINE_WAREHOUSE names it (the SQLite catalog)
    postgres_dsn: str | None    # None: the catalog is SQLite at `path`

    @property
    def catalog(self) -> str:
        return "postgres" if self.postgres_dsn else "sqlite"

    @property
    def data_path(self) -> Path:
        path = self.path
        return path.with_suffix(DATA_SUFFIX) if path.suffix else path.with_name(path.name + DATA_SUFFIX)

    @property
    def key(self) -> str:
        return hashlib.sha256(f"{self.path}\0{self.postgres_dsn}".encode()).hexdigest()[:12]

    @property
    def alias(self) -> str:
        """The DuckDB catalog name a process attaches the lake under."""
        return f"optline_{self.key}"

    @property
    def metadata_schema(self) -> str:
        """The PostgreSQL schema holding this lake's catalog (one database can hold several)."""
        stem = "".join(ch if ch.isalnum() else "_" for ch in self.path.stem.lower())[:24]
        return f"optline_{stem}_{self.key}"

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".writer.lock")

    def describe(self) -> str:
        where = "PostgreSQL" if self.postgres_dsn else f"SQLite {self.path}"
        return f"DuckLake (catalog {where}, data {self.data_path})"


def location(database: str | Path | None = None) -> Location | None:
    """The lake the warehouse is, or None when it is one DuckDB file. An existing file says
    itself what it is (a SQLite catalog or a DuckDB database); a new one is what
    OPTLINE_WAREHOUSE_FORMAT says (default: a lake)."""
    path = Path(database).expanduser().resolve() if database else config.paths().warehouse
    catalog = config.lake_catalog()
    if catalog == "sqlite":
        kind = file_format(path) or config.warehouse_format()
        return Location(path, None) if kind == "ducklake" else None
    if file_format(path) == "duckdb" or config.warehouse_format() != "ducklake":
        return None  # an existing DuckDB file stays one, whatever the catalog setting says
    return Location(path, catalog.removeprefix("postgres:").strip())


SQLITE_MAGIC = b"SQLite format 3\x00"
DUCKDB_MAGIC = b"DUCK"  # at offset 8 of a DuckDB database file


def file_format(path: Path) -> str | None:
    """`ducklake` for a SQLite file (a lake's catalog), `duckdb` for a DuckDB database, None when
    there is no such file yet (or it is empty)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except (FileNotFoundError, IsADirectoryError):
        return None
    if head.startswith(SQLITE_MAGIC):
        return "ducklake"
    if head[8:12] == DUCKDB_MAGIC:
        return "duckdb"
    return None


def extension_path(name: str) -> Path:
    """The `.duckdb_extension` file the `duckdb-extension-<name>` package holds."""
    package = f"duckdb_extension_{name}"
    try:
        module = importlib.import_module(package)
    except ImportError as exc:
        raise LakeError(f"the package duckdb-extension-{name.replace('_', '-')} is not installed: "
                        "run `make venv` (it is pinned in requirements.lock)") from exc
    found = sorted(Path(module.__file__).parent.glob(f"extensions/v{duckdb.__version__}/{name}.duckdb_extension"))
    if not found:
        raise LakeError(f"duckdb-extension-{name} holds no extension for DuckDB {duckdb.__version__}: "
                        "pin the same version as duckdb")
    return found[0]


def _literal(value: str | Path) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def attach_statements(where: Location, *, read_only: bool, alias: str | None = None) -> list[str]:
    """The statements that load the extensions and attach the lake (also what an analyst types)."""
    statements = [f"load {_literal(extension_path(name))}" for name in EXTENSIONS[where.catalog]]
    options = [f"data_path {_literal(str(where.data_path) + os.sep)}"]
    if where.postgres_dsn:
        target = f"ducklake:postgres:{where.postgres_dsn}"
        options.append(f"metadata_schema {_literal(where.metadata_schema)}")
    else:
        target = f"ducklake:sqlite:{where.path}"
        options += ["meta_journal_mode 'WAL'", f"meta_busy_timeout {SQLITE_BUSY_MS}"]
    if read_only:
        options.append("read_only")
    statements.append(f"attach {_literal(target)} as {alias or where.alias} ({', '.join(options)})")
    return statements


def analyst_sql(where: Location, alias: str = "optline") -> str:
    """What an analyst runs in any DuckDB 1.5.5 client to read the lake (read-only)."""
    return ";\n".join([*attach_statements(where, read_only=True, alias=alias), f"use {alias}"]) + ";\n"


_instances: dict[bool, duckdb.DuckDBPyConnection] = {}
_attached: dict[bool, set[str]] = {True: set(), False: set()}
_instances_lock = threading.Lock()
_lake_of: weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, Location] = weakref.WeakKeyDictionary()


def connect(where: Location, *, read_only: bool, settings: dict[str, object]) -> duckdb.DuckDBPyConnection:
    """A connection (a cursor of this process's DuckDB instance) with the lake as its default
    catalog. The first one per process loads the extensions (`settings` are the instance's), the
    first one per lake attaches it."""
    with _instances_lock:
        instance = _instances.get(read_only)
        if instance is None:
            instance = duckdb.connect(config={"autoinstall_known_extensions": False,
                                              "autoload_known_extensions": False, **settings})
            _instances[read_only] = instance
        if where.alias not in _attached[read_only]:
            if not read_only:
                where.path.parent.mkdir(parents=True, exist_ok=True)
                where.data_path.mkdir(parents=True, exist_ok=True)
            elif not where.postgres_dsn and not where.path.exists():
                raise LakeError(f"no warehouse at {where.path}: run an import first (make demo)")
            try:
                for statement in attach_statements(where, read_only=read_only):
                    instance.execute(statement)
            except duckdb.Error as exc:
                raise LakeError(f"cannot attach the warehouse {where.describe()}: {exc}") from exc
            _attached[read_only].add(where.alias)
    conn = instance.cursor()
    conn.execute(f"use {where.alias}")
    if not read_only:
        _lake_of[conn] = where
    return conn


def of(conn: duckdb.DuckDBPyConnection) -> Location | None:
    """The lake a writing connection is attached to (None: a DuckDB file, or read-only)."""
    return _lake_of.get(conn)


_held = threading.local()
_process_locks: dict[Path, threading.RLock] = {}


@contextmanager
def writer_turn(where: Location) -> Iterator[None]:
    """Hold the lake's writer lock for a transaction (SQLite catalog; PostgreSQL needs none).
    Re-entrant within a thread; waits up to `WRITER_WAIT_SECONDS` for another process."""
    if where.postgres_dsn:
        yield
        return
    depth = getattr(_held, "depth", {})
    _held.depth = depth
    if depth.get(where.lock_path):
        depth[where.lock_path] += 1
        try:
            yield
        finally:
            depth[where.lock_path] -= 1
        return
    with _instances_lock:
        in_process = _process_locks.setdefault(where.lock_path, threading.RLock())
    with in_process:
        fd = os.open(where.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _lock(fd, where)
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            depth[where.lock_path] = 1
            try:
                yield
            finally:
                depth.pop(where.lock_path, None)
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def _lock(fd: int, where: Location) -> None:
    deadline = time.monotonic() + WRITER_WAIT_SECONDS
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "another process"
                raise LakeError(
                    f"the warehouse {where.path} has been busy for {WRITER_WAIT_SECONDS:.0f} s: PID {holder} "
                    "is writing it (one writer at a time; readers are never blocked). Run again once it has "
                    f"finished; if it hangs, see what it is (`ps -fp {holder}`)") from None
            time.sleep(0.05)


_templates: dict[str, Path] = {}
"""Per process: the catalog of a lake this process created and migrated, by schema digest (see
`create_from_template`)."""


def keep_template(where: Location, digest: str) -> None:
    """After migrating a new SQLite-catalog lake: keep a copy of its catalog (no data yet), so the
    next new lake of the same schema in this process is a file copy instead of ~40 DDL commits."""
    if where.postgres_dsn or digest in _templates:
        return
    folder = Path(tempfile.mkdtemp(prefix="optline-lake-template-"))
    copy = folder / "catalog.sqlite"
    with closing(sqlite3.connect(where.path)) as source, closing(sqlite3.connect(copy)) as target:
        if source.execute(_COUNT_DATA_FILES).fetchone()[0]:
            return  # not a fresh lake: nothing to copy
        source.backup(target)
    _templates[digest] = copy


_COUNT_DATA_FILES = "select count(*) from ducklake_data_file"  # the DuckLake catalog's own table


def create_from_template(where: Location, digest: str) -> bool:
    """Create a new SQLite-catalog lake as a copy of this process's template for the schema, with
    its own data path (the `data_path` entry of the catalog's `ducklake_metadata`, per the DuckLake
    spec). False when there is no template or the lake exists."""
    template = _templates.get(digest)
    if template is None or where.postgres_dsn or where.path.exists():
        return False
    where.path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(template)) as source, closing(sqlite3.connect(where.path)) as target:
        source.backup(target)
        with target:
            target.execute("update ducklake_metadata set value = ? where key = 'data_path'",
                           [str(where.data_path) + os.sep])
    return True


def forget_history(conn: duckdb.DuckDBPyConnection, where: Location) -> None:
    """After a deletion of people commits: make what it deleted unreadable, time travel included.

    A lake keeps every snapshot (an analyst can read `at (version => n)`), so deleted rows stay
    readable, and on disk, until their snapshots expire. This expires every snapshot but the
    current one, rewrites the data files that deletions touched (threshold 0: any deleted row),
    expires the snapshot the rewrite made, and deletes the files no snapshot needs. Time travel
    to before the deletion is gone afterwards: erasure wins over history."""
    alias = _literal(where.alias)
    with writer_turn(where):
        conn.execute(f"call ducklake_expire_snapshots({alias}, older_than => now())")
        conn.execute(f"call ducklake_rewrite_data_files({alias}, delete_threshold => 0)")
        conn.execute(f"call ducklake_expire_snapshots({alias}, older_than => now())")
        conn.execute(f"call ducklake_cleanup_old_files({alias}, cleanup_all => true)")


_NEVER_WRITTEN = """
select schemas.schema_name, tables.table_name
from {meta}.ducklake_table as tables
inner join {meta}.ducklake_schema as schemas on tables.schema_id = schemas.schema_id
where
    tables.end_snapshot is null
    and schemas.end_snapshot is null
    and tables.table_id not in (select stats.table_id from {meta}.ducklake_table_stats as stats)
order by 1, 2
"""

_PLACEHOLDER = (("[]", "[]"), ("JSON", "'{}'"), ("DATE", "'1970-01-01'"), ("TIMESTAMP", "'1970-01-01'"))


def _placeholder(data_type: str) -> str:
    """A value of `data_type` for a not-null column of the priming row."""
    literal = next((value for marker, value in _PLACEHOLDER if marker in data_type), "'0'")
    return f"cast({literal} as {data_type})"


def prime_table_stats(conn: duckdb.DuckDBPyConnection, where: Location) -> int:
    """Give every table that was never written its (empty) statistics; returns how many.

    DuckLake 1.5.5 (extension d8a1881e) looks up a table's statistics once per column a query
    reads, and caches only an answer it found: a table never written has none, so every query
    that reads it pays a catalog query per column, every time (ducklake#1313, fixed upstream
    after this build): 38 ms against 7 ms for a 12-column select here. One row inserted and
    deleted in the same transaction leaves no row and no data file, but a statistics entry
    (0 rows) that is cached. Tables written once keep theirs, so this is needed only after
    migrations made tables. Inside the caller's transaction, after the migrations committed."""
    meta = f'"__ducklake_metadata_{where.alias}"' + (f'."{where.metadata_schema}"' if where.postgres_dsn else "")
    tables = conn.execute(_NEVER_WRITTEN.format(meta=meta)).fetchall()
    if not tables:
        return 0
    for schema, table in tables:
        columns = conn.execute(
            "select column_name, data_type from duckdb_columns() where database_name = current_database() "
            "and schema_name = ? and table_name = ? and not is_nullable order by column_index",
            [schema, table]).fetchall()
        names = ", ".join(f'"{name}"' for name, _ in columns)
        values = ", ".join(_placeholder(data_type) for _, data_type in columns)
        target = f'"{schema}"."{table}"'
        conn.execute(f"insert into {target} ({names}) values ({values})" if columns
                     else f"insert into {target} default values")
        conn.execute(f"delete from {target}")
    return len(tables)


REWRITE_DELETE_THRESHOLD = 0.1  # a data file is rewritten once a tenth of its rows are deleted
FILE_GRACE = "interval 1 hour"  # files unused for less long may still be read by a running query

_FILES = "select coalesce(sum(file_count), 0), coalesce(sum(delete_file_count), 0), " \
         "coalesce(sum(file_size_bytes + delete_file_size_bytes), 0) from ducklake_table_info({alias})"
_SNAPSHOTS = "select count(*) from ducklake_snapshots({alias})"


@dataclass(frozen=True)
class Upkeep:
    """What one maintenance did: files, their bytes and snapshots, before and after."""
    data_files: tuple[int, int]
    delete_files: tuple[int, int]
    bytes: tuple[int, int]
    snapshots: tuple[int, int]
    seconds: float

    def line(self) -> str:
        (f0, f1), (d0, d1), (b0, b1), (s0, s1) = self.data_files, self.delete_files, self.bytes, self.snapshots
        return (f"data files {f0:,} -> {f1:,}, delete files {d0:,} -> {d1:,}, {b0 / 2**20:,.1f} -> "
                f"{b1 / 2**20:,.1f} MiB, snapshots {s0:,} -> {s1:,}, in {self.seconds:.1f} s")


@contextmanager
def _one_thread(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """DuckDB on one thread for a statement, then as many as before (the setting is the instance's).

    `ducklake_flush_inlined_data` on several threads (DuckLake d8a1881e, DuckDB 1.5.5) now and then
    corrupts the heap: the process aborts ("double free or corruption", "malloc_consolidate(): invalid
    chunk size", in the flush's commit), about 1 maintenance in 140 on a SQLite-catalog lake under
    load here, once in CI. On one thread: 0 in 500 (docs/warehouse_backends.md, Risks). Inlined rows
    are few (10 per insert at most), so one thread costs nothing measurable."""
    threads = int(conn.execute("select current_setting('threads')").fetchone()[0])
    conn.execute("set threads = 1")
    try:
        yield
    finally:
        conn.execute(f"set threads = {threads}")


def maintain(conn: duckdb.DuckDBPyConnection, where: Location, keep_days: float) -> Upkeep:
    """The lake's upkeep (the nightly `warehouse_maintenance` DAG, `optline maintain`).

    Every small write leaves files (a dispatcher batch: a delete file and a data file per
    update), and every read lists them through the catalog, so reads slow down as they pile
    up; deleted rows stay on disk while snapshots still see them. In order: inlined rows to
    Parquet, data files with a tenth or more of their rows deleted rewritten, adjacent small
    files merged, snapshots older than `keep_days` expired (time travel reaches back that far),
    files no snapshot needs deleted once unused for an hour (a running query may still read
    them), files no snapshot ever knew (a write that failed midway) deleted after a day. Rows and
    their history within `keep_days` read the same before and after. Holds the writer's turn."""
    alias = _literal(where.alias)
    started = time.monotonic()
    with writer_turn(where):
        before = conn.execute(_FILES.format(alias=alias)).fetchone()
        snapshots_before = conn.execute(_SNAPSHOTS.format(alias=alias)).fetchone()[0]
        with _one_thread(conn):
            conn.execute(f"call ducklake_flush_inlined_data({alias})")
        conn.execute(f"call ducklake_rewrite_data_files({alias}, delete_threshold => {REWRITE_DELETE_THRESHOLD})")
        conn.execute(f"call ducklake_merge_adjacent_files({alias})")
        keep = f"interval '{round(keep_days * 86400)} seconds'"
        conn.execute(f"call ducklake_expire_snapshots({alias}, older_than => now() - {keep})")
        conn.execute(f"call ducklake_cleanup_old_files({alias}, older_than => now() - {FILE_GRACE})")
        conn.execute(f"call ducklake_delete_orphaned_files({alias}, older_than => now() - interval 1 day)")
        after = conn.execute(_FILES.format(alias=alias)).fetchone()
        snapshots_after = conn.execute(_SNAPSHOTS.format(alias=alias)).fetchone()[0]
    return Upkeep(data_files=(before[0], after[0]), delete_files=(before[1], after[1]), bytes=(before[2], after[2]),
                  snapshots=(snapshots_before, snapshots_after), seconds=round(time.monotonic() - started, 2))


BOOKKEEPING = ("ops.schema_migrations", "ops.schema_definitions", "ops.write_guard")
"""Tables a new lake fills for itself (its migrations, its write guard): never copied."""
HOLDS_DATA = ("ops.batches", "core.contacts", "core.consent_events", "msg.outbox")

_TABLES = ("select schema_name, table_name from duckdb_tables() where database_name = ? and not temporary "
           "order by schema_name, table_name")
_COLUMNS = ("select column_name from duckdb_columns() where database_name = ? and schema_name = ? and table_name = ? "
            "order by column_index")


SOURCE_ALIAS = "optline_convert_source"


@contextmanager
def source_attached(conn: duckdb.DuckDBPyConnection, source: Path) -> Iterator[None]:
    """A DuckDB-file warehouse attached read-only as `SOURCE_ALIAS` (for `copy_tables`), then detached."""
    conn.execute(f"attach {_literal(source)} as {SOURCE_ALIAS} (read_only)")
    try:
        yield
    finally:
        conn.execute(f"detach {SOURCE_ALIAS}")


def copy_tables(conn: duckdb.DuckDBPyConnection, where: Location, source: Path) -> dict[str, int]:
    """Every table of the attached DuckDB-file warehouse (`source_attached`) into this new lake,
    inside the caller's transaction (`warehouse.convert_to_lake`): the lake's tables, by column
    name; each count checked.

    Refuses a lake that holds data already. A table the file has and the lake does not (a
    leftover of an old schema) is not copied, and named if it holds rows."""
    lake_db = conn.execute("select current_database()").fetchone()[0]
    alias = SOURCE_ALIAS
    for table in HOLDS_DATA:
        if conn.execute(f"select count(*) from {table}").fetchone()[0]:
            raise LakeError(f"the lake {where.describe()} holds data already ({table}): convert into a new one")
    mine = {f"{s}.{t}" for s, t in conn.execute(_TABLES, [lake_db]).fetchall()}
    theirs = {f"{s}.{t}" for s, t in conn.execute(_TABLES, [alias]).fetchall()}
    left_out = sorted(t for t in theirs - mine - set(BOOKKEEPING)
                      if conn.execute(f"select count(*) from {alias}.{t}").fetchone()[0])
    if left_out:
        raise LakeError(f"{source} has rows in tables the current schema does not: {', '.join(left_out)}; "
                        "nothing was converted")
    copied: dict[str, int] = {}
    for table in sorted(mine - set(BOOKKEEPING)):
        schema, name = table.split(".")
        columns = [c for (c,) in conn.execute(_COLUMNS, [lake_db, schema, name]).fetchall()]
        have = {c for (c,) in conn.execute(_COLUMNS, [alias, schema, name]).fetchall()}
        if table not in theirs or set(columns) - have:
            raise LakeError(f"{source} has no {table} with the columns {sorted(set(columns) - have)}: bring it "
                            "up to date first (`OPTLINE_WAREHOUSE=<file> optline migrate`)")
        names = ", ".join(f'"{c}"' for c in columns)
        if conn.execute(f"select count(*) from {table}").fetchone()[0]:
            conn.execute(f"delete from {table}")  # what the lake's own migrations seeded (ops.id_counters)
        conn.execute(f"insert into {table} ({names}) select {names} from {alias}.{table}")
        count, expected = (conn.execute(f"select count(*) from {db}.{table}").fetchone()[0]
                           for db in (lake_db, alias))
        if count != expected:
            raise LakeError(f"{table}: {count} rows in the lake, {expected} in {source}; nothing was converted")
        copied[table] = count
    return copied
