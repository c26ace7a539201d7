"""Shared helpers for the warehouse-backend measurements (issue 12).

How to run
----------
These scripts do not use the project's .venv (which pins duckdb 1.5.5 and no
extensions). Make a scratch venv with the extension packages, once:

    python3.11 -m venv /tmp/b12/venv
    /tmp/b12/venv/bin/pip install duckdb==1.5.5 \
        duckdb-extension-ducklake==1.5.5 \
        duckdb-extension-sqlite-scanner==1.5.5 \
        duckdb-extension-postgres-scanner==1.5.5 \
        duckdb-extension-quack==1.5.5 duckdb-extension-httpfs==1.5.5

Then run any script in this folder with that interpreter, e.g.

    /tmp/b12/venv/bin/python bench/backends/coexist.py

PostgreSQL: the Debian packages (postgresql-15) must be installed
(`apt-get install postgresql`); `start_postgres()` runs a throw-away cluster
on 127.0.0.1:55432 under a temporary directory, as the `postgres` user when
run as root, and `stop_postgres()` stops it. Set BENCH_PG_PORT to change the
port. Backends needing PostgreSQL are skipped (and say so) when no
`initdb` is found.

Extensions come from the pip packages only: each package holds
`extensions/v1.5.5/<name>.duckdb_extension`, loaded with
`LOAD '<that path>'` (no download from the extension repository).
"""

from __future__ import annotations

import contextlib
import glob
import importlib
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import time

import duckdb

EXTENSIONS = ("ducklake", "sqlite_scanner", "postgres_scanner", "httpfs", "quack")
PG_PORT = int(os.environ.get("BENCH_PG_PORT", "55432"))
BACKENDS = ("duckdb_file", "ducklake_sqlite", "ducklake_postgres")
QUACK_PORT = int(os.environ.get("BENCH_QUACK_PORT", "59494"))
QUACK_TOKEN = "bench-local-token"
SQLITE_BUSY_MS = int(os.environ.get("BENCH_SQLITE_BUSY_MS", "10000"))


def extension_path(name: str) -> str:
    module = importlib.import_module(f"duckdb_extension_{name}")
    base = pathlib.Path(module.__file__).parent
    found = sorted(base.glob("extensions/*/*.duckdb_extension"))
    if not found:
        raise RuntimeError(f"package duckdb-extension-{name} holds no .duckdb_extension file")
    return str(found[0])


def load_extensions(con: duckdb.DuckDBPyConnection, names=EXTENSIONS) -> None:
    for name in names:
        con.execute(f"LOAD '{extension_path(name)}'")


def pg_bin(name: str) -> str | None:
    hits = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return hits[-1] if hits else shutil.which(name)


def pg_dsn(dbname: str) -> str:
    return f"dbname={dbname} host=127.0.0.1 port={PG_PORT} user=postgres"


def _as_pg(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(cmd)]
    return cmd


def start_postgres(root: str) -> str | None:
    """Start a throw-away cluster under root; return its data dir or None."""
    initdb, pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        print("PostgreSQL binaries not found: ducklake_postgres skipped")
        return None
    data = os.path.join(root, "pgdata")
    if os.path.exists(os.path.join(data, "postmaster.pid")):
        return data
    os.makedirs(root, exist_ok=True)
    if os.geteuid() == 0:
        os.chmod(root, 0o777)
    if not os.path.exists(os.path.join(data, "PG_VERSION")):
        subprocess.run(_as_pg([initdb, "-D", data, "-A", "trust", "-U", "postgres"]),
                       check=True, stdout=subprocess.DEVNULL)
    opts = f"'-p {PG_PORT} -k {root} -c listen_addresses=127.0.0.1 -c fsync=on'"
    subprocess.run(_as_pg([pg_ctl, "-D", data, "-o", opts, "-l",
                           os.path.join(root, "pg.log"), "-w", "start"]),
                   check=True, stdout=subprocess.DEVNULL)
    return data


def stop_postgres(data: str | None) -> None:
    if data:
        subprocess.run(_as_pg([pg_bin("pg_ctl"), "-D", data, "-m", "fast", "stop"]),
                       check=False, stdout=subprocess.DEVNULL)


def pg_recreate_db(dbname: str) -> None:
    psql = pg_bin("psql")
    for sql in (f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)", f"CREATE DATABASE {dbname}"):
        subprocess.run([psql, "-q", "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "postgres",
                        "-d", "postgres", "-c", sql], check=True, stdout=subprocess.DEVNULL)


def fresh(kind: str, root: str, name: str = "wh") -> None:
    """Remove any previous warehouse of this kind under root."""
    for path in glob.glob(os.path.join(root, f"{name}*")):
        if os.path.isdir(path):
            shutil.rmtree(path)
        else:
            os.remove(path)
    if kind == "ducklake_postgres":
        pg_recreate_db(f"bench_{name}")


def start_quack_server(root: str, name: str = "wh") -> subprocess.Popen:
    """A DuckDB process serving root/<name>.duckdb over Quack on loopback."""
    proc = subprocess.Popen([sys.executable, __file__, "serve-quack",
                             os.path.join(root, f"{name}.duckdb")],
                            stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if "serving" not in line:
        raise RuntimeError(f"quack server did not start: {line!r}")
    return proc


def stop_quack_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(timeout=30)


def open_backend(kind: str, root: str, name: str = "wh", read_only: bool = False,
                 retries: int | None = None) -> duckdb.DuckDBPyConnection:
    """A connection whose default catalog is the warehouse `name` of this kind."""
    os.makedirs(root, exist_ok=True)
    if kind == "duckdb_file":
        return duckdb.connect(os.path.join(root, f"{name}.duckdb"), read_only=read_only)
    if kind == "quack":
        con = duckdb.connect()
        load_extensions(con, ("httpfs", "quack"))
        con.execute(f"CREATE SECRET (TYPE quack, TOKEN '{QUACK_TOKEN}')")
        con.execute(f"ATTACH 'quack:127.0.0.1:{QUACK_PORT}' AS wh")
        con.execute("USE wh")
        return con
    con = duckdb.connect()
    load_extensions(con, ("ducklake", "sqlite_scanner", "postgres_scanner"))
    if retries is not None:
        con.execute(f"SET ducklake_max_retry_count = {retries}")
    data_path = os.path.join(root, f"{name}_data") + "/"
    ro = ", READ_ONLY" if read_only else ""
    extra = ""
    if kind in ("ducklake_sqlite", "ducklake_sqlite_wal"):
        catalog = f"ducklake:sqlite:{os.path.join(root, name + '_catalog.sqlite')}"
        if kind == "ducklake_sqlite_wal":
            # WAL: readers never block the writer's commit; a busy timeout: writers wait
            # for each other's commit instead of failing with "database is locked"
            extra = f", META_JOURNAL_MODE 'WAL', META_BUSY_TIMEOUT {SQLITE_BUSY_MS}"
    elif kind == "ducklake_postgres":
        catalog = f"ducklake:postgres:{pg_dsn('bench_' + name)}"
    else:
        raise ValueError(kind)
    con.execute(f"ATTACH '{catalog}' AS wh (DATA_PATH '{data_path}'{ro}{extra})")
    con.execute("USE wh")
    return con


def median(values):
    return statistics.median(values)


@contextlib.contextmanager
def timed(out: list):
    start = time.perf_counter()
    yield
    out.append(time.perf_counter() - start)


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def size_of(root: str, name: str = "wh") -> int:
    total = 0
    for path in glob.glob(os.path.join(root, f"{name}*")):
        if os.path.isdir(path):
            for dirpath, _, files in os.walk(path):
                total += sum(os.path.getsize(os.path.join(dirpath, f)) for f in files)
        else:
            total += os.path.getsize(path)
    return total


if __name__ == "__main__" and sys.argv[1:2] == ["serve-quack"]:
    server = duckdb.connect(sys.argv[2])
    load_extensions(server, ("httpfs", "quack"))
    server.execute(f"CALL quack_serve('quack:127.0.0.1:{QUACK_PORT}', token = '{QUACK_TOKEN}')")
    print("serving", flush=True)
    while True:
        time.sleep(3600)
