"""Issue 12, item 5: import N rows and dispatch M messages on each warehouse backend, beside the
code before the change (commit ddac3fc: one DuckDB file, one claim + one record commit per message),
all measured in the same run, one after the other (never two at once).

Runs, in this order, each bench as its own process in a fresh folder under --workdir:

  old               the project at OLD_COMMIT (`git archive`, the checkout's git state untouched),
                    PYTHONPATH=<copy>/include, OPTLINE_SQL_DIR=<copy>/sql: a DuckDB file
  duckdb            today's tree, OPTLINE_WAREHOUSE_FORMAT=duckdb: a DuckDB file
  ducklake_sqlite   today's tree, OPTLINE_WAREHOUSE_FORMAT=ducklake: catalog in SQLite, data Parquet
  ducklake_postgres today's tree, OPTLINE_WAREHOUSE_FORMAT=ducklake, OPTLINE_LAKE_CATALOG=postgres:<dsn>
                    against a throw-away PostgreSQL (`scripts/servers.sh start`), stopped at the end

For each: `bench/import_bench.py --rows N --json --workdir <folder>` and
`bench/dispatch_bench.py --messages M --json --workdir <folder>`, both with the project's
.venv Python. Recorded per run: wall seconds, the bench's JSON, the load average before and after,
the process's own rusage (wait4: peak RSS, CPU seconds), the warehouse's size, and what the
warehouse turned out to be (first bytes of OPTLINE_WAREHOUSE: `SQLite format 3` = a lake's catalog,
`DUCK` at offset 8 = a DuckDB file; for PostgreSQL: no local catalog, Parquet files in
`warehouse.files/`, and the catalog schema present in PostgreSQL with its data files listed).
A run that does not verify, or fails, is reported and the next one runs.

    .venv/bin/python bench/backends/compare.py --workdir /tmp/cmp --rows 1000000 --messages 20000

Prints a table and writes every figure as JSON lines to --out
(default bench/backends/results_2026-12-01/compare.jsonl).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[2]
PYTHON = PROJECT / ".venv" / "bin" / "python"
OLD_COMMIT = "ddac3fc"
PGPORT, REDIS_PORT = 55451, 56401
PG_DSN = f"host=127.0.0.1 port={PGPORT} user=postgres dbname=postgres"
BACKENDS = ("old", "duckdb", "ducklake_sqlite", "ducklake_postgres")
DEFAULT_OUT = PROJECT / "bench" / "backends" / "results_2026-12-01" / "compare.jsonl"
SQLITE_MAGIC = b"SQLite format 3\x00"


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def run_process(cmd: list[str], env: dict[str, str], cwd: Path, log: Path, timeout: float) -> dict[str, Any]:
    """Run `cmd` in its own process group, stdout+stderr to `log`; its rusage via wait4."""
    started = time.perf_counter()
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=str(cwd), stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    deadline = started + timeout
    timed_out = False
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            timed_out = True
            os.killpg(proc.pid, signal.SIGKILL)  # the group this bench started (its pool workers too)
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.2)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"returncode": proc.returncode, "timed_out": timed_out,
            "wall_s": round(time.perf_counter() - started, 2),
            "rusage_maxrss_mib": round(usage.ru_maxrss / 1024, 1),
            "rusage_cpu_user_s": round(usage.ru_utime, 2), "rusage_cpu_sys_s": round(usage.ru_stime, 2)}


def last_json(log: Path) -> dict[str, Any] | None:
    for line in reversed(log.read_text(errors="replace").splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue
    return None


def tail(log: Path, lines: int = 15) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def size_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 1e6
    if path.is_dir():
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6
    return 0.0


def psql(sql: str) -> str:
    out = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(PGPORT), "-U", "postgres", "-d", "postgres",
                          "-At", "-c", sql], capture_output=True, text=True, timeout=60)
    if out.returncode:
        raise RuntimeError(f"psql: {out.stderr.strip()}")
    return out.stdout.strip()


def verify(backend: str, folder: Path, pg_schemas_before: set[str]) -> dict[str, Any]:
    """What the warehouse in `folder` really is, and whether that is what `backend` claims."""
    catalog = folder / "warehouse.duckdb"  # OPTLINE_WAREHOUSE, as both benches set it
    data = folder / "warehouse.files"
    head = catalog.read_bytes()[:16] if catalog.is_file() else b""
    parquet = list(data.rglob("*.parquet")) if data.is_dir() else []
    found = {"warehouse_file_exists": catalog.is_file(), "warehouse_head": head.hex(),
             "warehouse_file_mb": round(size_mb(catalog), 2),
             "wal_mb": round(size_mb(folder / "warehouse.duckdb.wal"), 2),
             "files_dir_exists": data.is_dir(), "parquet_files": len(parquet),
             "files_dir_mb": round(size_mb(data), 2)}
    is_sqlite = head.startswith(SQLITE_MAGIC)
    is_duckdb = head[8:12] == b"DUCK"
    if backend in ("old", "duckdb"):
        ok = is_duckdb and not data.exists()
        found["kind"] = "duckdb file" if is_duckdb else ("sqlite catalog" if is_sqlite else "unknown")
    elif backend == "ducklake_sqlite":
        ok = is_sqlite and len(parquet) > 0
        found["kind"] = "sqlite catalog + parquet" if ok else "unexpected"
    else:
        schemas = set(psql("select schema_name from information_schema.schemata "
                           "where schema_name like 'optline\\_%'").split())
        new = sorted(schemas - pg_schemas_before)
        found["pg_new_schemas"] = new
        files_listed = 0
        for schema in new:
            files_listed += int(psql(f'select count(*) from "{schema}".ducklake_data_file') or 0)
        found["pg_ducklake_data_files"] = files_listed
        ok = not catalog.exists() and len(parquet) > 0 and len(new) == 1 and files_listed > 0
        found["kind"] = "postgres catalog + parquet" if ok else "unexpected"
    found["verified"] = ok
    return found


def pg_schemas() -> set[str]:
    return set(psql("select schema_name from information_schema.schemata "
                    "where schema_name like 'optline\\_%'").split())


def backend_env(backend: str, old_tree: Path) -> tuple[dict[str, str], Path]:
    """The environment and the project tree a backend's benches run with."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPTLINE_")}
    env.pop("PYTHONPATH", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if backend == "old":
        env["PYTHONPATH"] = str(old_tree / "include")
        env["OPTLINE_SQL_DIR"] = str(old_tree / "sql")
        return env, old_tree
    env["OPTLINE_WAREHOUSE_FORMAT"] = "duckdb" if backend == "duckdb" else "ducklake"
    if backend == "ducklake_postgres":
        env["OPTLINE_LAKE_CATALOG"] = f"postgres:{PG_DSN}"
    return env, PROJECT


def which_optline(env: dict[str, str], tree: Path) -> str:
    """The optline package the benches will import with this environment (must be `tree`'s)."""
    out = subprocess.run([str(PYTHON), "-c", "import optline, optline.config as c; "
                          "print(optline.__file__); print(c.sql_dir())"],
                         env=env, cwd=str(tree), capture_output=True, text=True, timeout=120)
    return out.stdout.strip() or out.stderr.strip()


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


class Servers:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started = False

    def env(self) -> dict[str, str]:
        return dict(os.environ, PGPORT=str(PGPORT), REDIS_PORT=str(REDIS_PORT))

    def start(self) -> None:
        if not (port_free(PGPORT) and port_free(REDIS_PORT)):
            raise RuntimeError(f"port {PGPORT} or {REDIS_PORT} is in use: another server is running there")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.started = True  # stop even if start fails half-way
        out = subprocess.run([str(PROJECT / "scripts" / "servers.sh"), "start", str(self.folder)],
                             env=self.env(), capture_output=True, text=True, timeout=300)
        if out.returncode:
            raise RuntimeError(f"servers.sh start failed: {out.stdout}{out.stderr}")
        print(out.stdout.strip(), flush=True)

    def stop(self) -> None:
        if not self.started:
            return
        out = subprocess.run([str(PROJECT / "scripts" / "servers.sh"), "stop", str(self.folder)],
                             env=self.env(), capture_output=True, text=True, timeout=120)
        print(f"servers.sh stop: rc {out.returncode} {out.stdout.strip()} {out.stderr.strip()}".strip(), flush=True)
        self.started = False


def git_state() -> dict[str, Any]:
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(PROJECT), *args], capture_output=True, text=True).stdout.strip()
    diff = subprocess.run(["git", "-C", str(PROJECT), "diff", "HEAD"], capture_output=True).stdout
    return {"head": git("rev-parse", "HEAD"), "old_commit": git("rev-parse", OLD_COMMIT),
            "modified_files": len(git("status", "--porcelain").splitlines()),
            "diff_sha256": hashlib.sha256(diff).hexdigest()[:16]}


def export_old_tree(target: Path) -> None:
    target.mkdir(parents=True)
    archive = subprocess.Popen(["git", "-C", str(PROJECT), "archive", OLD_COMMIT], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(target)], stdin=archive.stdout, check=True)
    if archive.wait():
        raise RuntimeError(f"git archive {OLD_COMMIT} failed")
    # The old dispatch bench writes gate overrides into the generated manifest that the old policy
    # refuses (`allow_loosening: []`), so it imports nothing and sends nothing. A variant without
    # them (in the copy only) imports the same 20k contacts, as today's bench does.
    bench = target / "bench" / "dispatch_bench.py"
    text = bench.read_text()
    if OLD_OVERRIDE in text:
        (target / "bench" / OLD_DISPATCH_VARIANT).write_text(text.replace(OLD_OVERRIDE, ""))


OLD_DISPATCH_VARIANT = "dispatch_bench_no_override.py"
OLD_OVERRIDE = """        manifest = csv_path.with_name("bulk.manifest.yaml")
        manifest.write_text(manifest.read_text() + "policy_overrides: {gate: {review_max_rejected_share: 1.0, "
                            "critical_max_rejected_share: 1.0, review_max_stale_share: 1.0}}\\n")
"""


def bench_one(backend: str, kind: str, args: argparse.Namespace, root: Path, old_tree: Path,
              emit) -> dict[str, Any]:
    env, tree = backend_env(backend, old_tree)
    folder = root / backend / kind
    if folder.exists():
        raise RuntimeError(f"{folder} exists: give a fresh --workdir")
    folder.parent.mkdir(parents=True, exist_ok=True)
    if kind == "import":
        cmd = [str(PYTHON), str(tree / "bench" / "import_bench.py"), "--rows", str(args.rows), "--json",
               "--workdir", str(folder)]
    else:
        folder.mkdir()
        script = OLD_DISPATCH_VARIANT if kind == "dispatch_no_override" else "dispatch_bench.py"
        cmd = [str(PYTHON), str(tree / "bench" / script), "--messages", str(args.messages), "--json",
               "--workdir", str(folder)]
    record: dict[str, Any] = {"backend": backend, "bench": kind, "rows": args.rows, "messages": args.messages,
                              "folder": str(folder), "cmd": cmd,
                              "env": {k: v for k, v in env.items() if k.startswith("OPTLINE_") or k == "PYTHONPATH"},
                              "optline_imported_from": which_optline(env, tree)}
    before_pg = pg_schemas() if backend == "ducklake_postgres" else set()
    record["started_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    record["load_before"] = loadavg()
    print(f"[{record['started_at']}] {backend} {kind}: load {record['load_before']} ...", flush=True)
    record.update(run_process(cmd, env, tree, folder.parent / f"{kind}.log", args.timeout))
    record["load_after"] = loadavg()
    log = folder.parent / f"{kind}.log"
    record["log"] = str(log)
    record["figures"] = last_json(log)
    if record["returncode"] or record["figures"] is None:
        record["error"] = tail(log)
    elif kind != "import" and not record["figures"].get("sent"):
        record["error"] = "sent nothing: " + tail(log, 4)
    try:
        record["verification"] = verify(backend, folder, before_pg)
    except Exception as exc:  # noqa: BLE001 - report and go on
        record["verification"] = {"verified": False, "error": repr(exc)}
    record["ok"] = not record.get("error") and record["verification"].get("verified", False)
    emit(record)
    f = record["figures"] or {}
    what = (f"import {f.get('import_s')} s, peak {f.get('peak_rss_self_mib')} MiB" if kind == "import"
            else f"{f.get('sent')} sent at {f.get('sent_per_s')} /s")
    print(f"    -> rc {record['returncode']}, wall {record['wall_s']} s, {what}, load after {record['load_after']}, "
          f"verified {record['verification'].get('verified')} ({record['verification'].get('kind')})", flush=True)
    if record.get("error"):
        print("    error:\n      " + record["error"].replace("\n", "\n      "), flush=True)
    return record


def table(records: list[dict[str, Any]], rows: int, messages: int) -> str:
    by = {(r["backend"], r["bench"]): r for r in records}
    head = (f"{'backend':<18} {'import ' + format(rows, ',') + ' s':>16} {'wall s':>8} {'peak MiB':>9} "
            f"{'children MiB':>12} {'dispatch ' + format(messages, ',') + ' msg/s':>22} {'wall s':>8} "
            f"{'load before/after (1 min)':>27} verified")
    lines = [head, "-" * len(head)]
    for backend in BACKENDS:
        imp, dis = by.get((backend, "import")), by.get((backend, "dispatch"))
        if dis is not None and dis.get("error") and (backend, "dispatch_no_override") in by:
            dis = by[(backend, "dispatch_no_override")]
            backend = backend + " *"
        if not imp and not dis:
            continue
        fi = (imp or {}).get("figures") or {}
        fd = (dis or {}).get("figures") or {}

        def cell(record, value, fmt):
            if record is None:
                return "-"
            if record.get("error") or value is None:
                return "FAILED"
            return format(value, fmt)
        loads = "; ".join(f"{r['load_before'][0]}/{r['load_after'][0]}" for r in (imp, dis) if r)
        ver = "/".join(str(r["verification"].get("verified")) for r in (imp, dis) if r)
        lines.append(f"{backend:<18} {cell(imp, fi.get('import_s'), '.1f'):>16} "
                     f"{(imp or {}).get('wall_s', '-'):>8} {cell(imp, fi.get('peak_rss_self_mib'), ',.0f'):>9} "
                     f"{cell(imp, fi.get('peak_rss_children_mib'), ',.0f'):>12} "
                     f"{cell(dis, fd.get('sent_per_s'), ',.1f'):>22} {(dis or {}).get('wall_s', '-'):>8} "
                     f"{loads:>27} {ver}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, required=True, help="a folder for this run (must not exist yet)")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--backends", default=",".join(BACKENDS), help="comma-separated subset, in this order")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON lines (overwritten)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per bench process")
    args = parser.parse_args(argv)
    chosen = [b for b in BACKENDS if b in args.backends.split(",")]
    root = args.workdir.resolve()
    if root.exists() and any(root.iterdir()):
        parser.error(f"{root} is not empty: give a fresh --workdir")
    root.mkdir(parents=True, exist_ok=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    out = args.out.open("w", encoding="utf-8")

    def emit(record: dict[str, Any]) -> None:
        out.write(json.dumps(record, sort_keys=True) + "\n")
        out.flush()

    def stop_on_signal(signum, _frame):
        raise SystemExit(f"signal {signum}")
    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGHUP, stop_on_signal)

    meta = {"record": "run", "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "rows": args.rows, "messages": args.messages, "backends": chosen, "workdir": str(root),
            "load_before": loadavg(), "cores": os.cpu_count(), "git": git_state(), "python": str(PYTHON)}
    emit(meta)
    old_tree = root / f"src_{OLD_COMMIT}"
    records: list[dict[str, Any]] = []
    servers = Servers(root / "servers")
    try:
        if "old" in chosen:
            export_old_tree(old_tree)
        for backend in chosen:
            if backend == "ducklake_postgres":
                try:
                    servers.start()
                except Exception as exc:  # noqa: BLE001 - report and go on
                    print(f"{backend}: cannot start PostgreSQL: {exc}", flush=True)
                    emit({"backend": backend, "error": f"cannot start PostgreSQL: {exc}", "ok": False})
                    continue
            kinds = ["import", "dispatch"]
            if backend == "old" and (old_tree / "bench" / OLD_DISPATCH_VARIANT).exists():
                kinds.append("dispatch_no_override")
            for kind in kinds:
                try:
                    records.append(bench_one(backend, kind, args, root, old_tree, emit))
                except Exception as exc:  # noqa: BLE001 - report and go on
                    print(f"{backend} {kind}: {exc!r}", flush=True)
                    emit({"backend": backend, "bench": kind, "error": repr(exc), "ok": False})
            if backend == "ducklake_postgres":
                servers.stop()
    finally:
        servers.stop()
        emit({"record": "end", "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
              "load_after": loadavg()})
        out.close()
    print()
    print(table(records, args.rows, args.messages))
    if any(r["bench"] == "dispatch_no_override" for r in records):
        print("* old dispatch: its own bench imports nothing (the old policy refuses the bench's gate "
              f"overrides); the figure is from {OLD_DISPATCH_VARIANT}, the same bench without them")
    print(f"\nraw figures: {args.out}")
    return 0 if all(r["ok"] or r["bench"] == "dispatch" and r["backend"] == "old" for r in records) else 1


if __name__ == "__main__":
    sys.exit(main())
