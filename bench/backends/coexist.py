"""Measure 1: can readers and writers of the warehouse coexist?

How to run
----------
    /tmp/b12/venv/bin/python bench/backends/coexist.py [--rows 2000000] [--repeats 3]
        [--backends duckdb_file,ducklake_sqlite,ducklake_postgres,quack]

(scratch venv and PostgreSQL: see _common.py.) Work files go under
/tmp/bench_backends/coexist (BENCH_ROOT to change).

For each backend and repeat, in separate OS processes:
  A. the writer alone: BEGIN; INSERT 2M rows into contacts (100k committed
     before); COMMIT. Its wall time is the reference.
  B. the same writer while a reader process opens the warehouse (read-only
     where the backend has it) and counts contacts every 0.2 s: every count the
     reader saw, every error it got, and the writer's time beside A's.
  C. an idle analyst session opened *before* the writer (one query, then held
     open, autocommit): does the writer fail or wait? What does the analyst see
     after the commit?
  D. the same with the analyst holding an open read transaction (BEGIN; one
     count; idle): writer outcome, the analyst's count inside its transaction
     (snapshot isolation says: the old total) and after it ends.
A count other than the committed totals (100k before, 2.1M after) is a
partial read. Prints one JSON line per run and a median summary.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as c  # noqa: E402

ROOT = os.path.join(os.environ.get("BENCH_ROOT", "/tmp/bench_backends"), "coexist")
BASE_ROWS = 100_000


def short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"


def role_writer(kind: str, rows: int, marker: str) -> None:
    start = time.perf_counter()
    out = {"role": "writer"}
    try:
        con = c.open_backend(kind, ROOT)
        out["opened_s"] = time.perf_counter() - start
        con.execute("BEGIN")
        open(marker + ".started", "w").close()
        con.execute(
            "INSERT INTO contacts SELECT range + ?, '+447' || lpad((range + ?)::varchar, 9, '0'), "
            "'batch-2' FROM range(?)", [BASE_ROWS, BASE_ROWS, rows])
        t_commit = time.perf_counter()
        con.execute("COMMIT")
        out["commit_s"] = time.perf_counter() - t_commit
        out["ok"] = True
        con.close()
    except Exception as exc:  # report, do not hide
        out["ok"] = False
        out["error"] = short(exc)
    out["total_s"] = time.perf_counter() - start
    out["work_s"] = out["total_s"] - out.get("opened_s", 0.0)
    open(marker + ".started", "a").close()
    with open(marker + ".done", "w") as fh:
        json.dump(out, fh)


def role_reader(kind: str, marker: str) -> None:
    """Poll every 0.2 s until the writer is done, then 1 s more."""
    counts, errors, con, stop_at = [], [], None, None
    open(marker + ".reader_ready", "w").close()
    while not os.path.exists(marker + ".started"):
        time.sleep(0.01)
    while True:
        if stop_at is None and os.path.exists(marker + ".done"):
            stop_at = time.time() + 1.0
        if stop_at is not None and time.time() > stop_at:
            break
        try:
            if con is None:
                con = c.open_backend(kind, ROOT, read_only=kind != "quack")
            counts.append(con.execute("SELECT count(*) FROM contacts").fetchone()[0])
        except Exception as exc:
            errors.append(short(exc))
            if con is not None:
                con.close()
            con = None
        time.sleep(0.2)
    with open(marker + ".reader", "w") as fh:
        json.dump({"counts": counts, "errors": errors}, fh)


def role_analyst(kind: str, marker: str, hold_txn: bool) -> None:
    out = {"role": "analyst", "hold_txn": hold_txn}
    try:
        con = c.open_backend(kind, ROOT, read_only=kind != "quack")
        if hold_txn:
            con.execute("BEGIN")
        out["before"] = con.execute("SELECT count(*) FROM contacts").fetchone()[0]
    except Exception as exc:
        out["open_error"] = short(exc)
        con = None
    open(marker + ".analyst_ready", "w").close()
    while not os.path.exists(marker + ".done"):
        time.sleep(0.1)
    if con is not None:
        try:
            out["after_commit_same_txn"] = con.execute("SELECT count(*) FROM contacts").fetchone()[0]
            if hold_txn:
                con.execute("COMMIT")
                out["after_txn_end"] = con.execute("SELECT count(*) FROM contacts").fetchone()[0]
        except Exception as exc:
            out["error"] = short(exc)
        con.close()
    with open(marker + ".analyst", "w") as fh:
        json.dump(out, fh)


def spawn(*args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, os.path.abspath(__file__), *map(str, args)])


def wait_file(path: str, timeout: float = 300) -> None:
    end = time.time() + timeout
    while not os.path.exists(path):
        if time.time() > end:
            raise TimeoutError(path)
        time.sleep(0.02)


def setup(kind: str):
    os.makedirs(ROOT, exist_ok=True)
    server = None
    if kind == "quack":
        c.fresh("duckdb_file", ROOT)
        server = c.start_quack_server(ROOT)
    else:
        c.fresh(kind, ROOT)
    con = c.open_backend(kind, ROOT)
    con.execute("CREATE TABLE contacts (contact_id BIGINT, phone VARCHAR, batch VARCHAR)")
    con.execute("INSERT INTO contacts SELECT range, '+447' || lpad(range::varchar, 9, '0'), "
                "'batch-1' FROM range(?)", [BASE_ROWS])
    con.close()
    return server


def run_scenario(kind: str, scenario: str, rows: int, rep: int) -> dict:
    server = setup(kind)
    marker = os.path.join(ROOT, f"m_{kind}_{scenario}_{rep}")
    for suffix in (".started", ".done", ".reader", ".analyst", ".analyst_ready", ".reader_ready"):
        if os.path.exists(marker + suffix):
            os.remove(marker + suffix)
    procs = []
    try:
        if scenario in ("idle_analyst", "analyst_txn"):
            procs.append(spawn("analyst", kind, marker, int(scenario == "analyst_txn")))
            wait_file(marker + ".analyst_ready")
        if scenario == "polling_reader":
            procs.append(spawn("reader", kind, marker))
            wait_file(marker + ".reader_ready")
        writer = spawn("writer", kind, rows, marker)
        writer.wait()
        for p in procs:
            p.wait(timeout=600)
        result = {"backend": kind, "scenario": scenario, "rep": rep, "load": c.loadavg()}
        with open(marker + ".done") as fh:
            result["writer"] = json.load(fh)
        for suffix in (".reader", ".analyst"):
            if os.path.exists(marker + suffix):
                with open(marker + suffix) as fh:
                    result[suffix[1:]] = json.load(fh)
        committed = {BASE_ROWS, BASE_ROWS + rows}
        if "reader" in result:
            seen = result["reader"]["counts"]
            result["reader_summary"] = {
                "polls": len(seen) + len(result["reader"]["errors"]),
                "answered": len(seen),
                "partial_counts": sorted({n for n in seen if n not in committed}),
                "distinct_counts": sorted(set(seen)),
                "first_error": (result["reader"]["errors"] or [None])[0],
            }
            del result["reader"]["counts"]
            result["reader"]["errors"] = result["reader"]["errors"][:2]
        return result
    finally:
        if server is not None:
            c.stop_quack_server(server)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--backends", default="duckdb_file,ducklake_sqlite,ducklake_sqlite_wal,ducklake_postgres,quack")
    args = ap.parse_args()
    kinds = args.backends.split(",")
    pg = c.start_postgres(os.path.join(ROOT, "pg")) if "ducklake_postgres" in kinds else None
    if "ducklake_postgres" in kinds and pg is None:
        kinds.remove("ducklake_postgres")
    results = []
    try:
        for rep in range(args.repeats):
            for kind in kinds:
                for scenario in ("alone", "polling_reader", "idle_analyst", "analyst_txn"):
                    r = run_scenario(kind, scenario, args.rows, rep)
                    print(json.dumps(r), flush=True)
                    results.append(r)
    finally:
        c.stop_postgres(pg)
    print("\nsummary (medians over repeats; writer time in s; ratio = vs 'alone' same backend)")
    for kind in kinds:
        alone = c.median([r["writer"]["work_s"] for r in results
                          if r["backend"] == kind and r["scenario"] == "alone" and r["writer"]["ok"]]
                         or [float("nan")])
        for scenario in ("alone", "polling_reader", "idle_analyst", "analyst_txn"):
            rs = [r for r in results if r["backend"] == kind and r["scenario"] == scenario]
            ok = [r["writer"]["work_s"] for r in rs if r["writer"]["ok"]]
            answered = sum(r.get("reader_summary", {}).get("answered", 0) for r in rs)
            polls = sum(r.get("reader_summary", {}).get("polls", 0) for r in rs)
            errs = [r["writer"].get("error", "")[:60] for r in rs if not r["writer"]["ok"]]
            t = c.median(ok) if ok else float("nan")
            partial = sorted({n for r in rs for n in r.get("reader_summary", {}).get("partial_counts", [])})
            print(f"{kind:18} {scenario:15} writer_ok={len(ok)}/{len(rs)} t={t:.2f}s "
                  f"ratio={t / alone:.2f} reader_answered={answered}/{polls} "
                  f"partial_counts_seen={partial[:5]} writer_errors={errs[:1]}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "writer":
        role_writer(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif len(sys.argv) > 1 and sys.argv[1] == "reader":
        role_reader(sys.argv[2], sys.argv[3])
    elif len(sys.argv) > 1 and sys.argv[1] == "analyst":
        role_analyst(sys.argv[2], sys.argv[3], sys.argv[4] == "1")
    else:
        main()
