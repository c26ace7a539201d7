"""Measure 4: two writer processes racing on one warehouse.

How to run
----------
    /tmp/b12/venv/bin/python bench/backends/racing_writers.py [--repeats 3]
        [--backends duckdb_file,ducklake_sqlite_wal,ducklake_postgres]

(scratch venv and PostgreSQL: see _common.py.) Work files under
/tmp/bench_backends/race (BENCH_ROOT to change).

Two OS processes start together (a file barrier) and each runs, per scenario:
  append      20 transactions of 1,000 new rows with distinct keys (no logical conflict)
  dup_insert  20 transactions inserting the SAME 1,000-key slices with
              INSERT ... WHERE NOT EXISTS (check, then insert): what a UNIQUE
              constraint would refuse. Duplicates left at the end = keys stored twice.
  guarded     the same, but each transaction first updates the one row of a
              `write_guard` table (UPDATE write_guard SET n = n + 1): two open
              transactions that both rewrote that row conflict at commit, the loser
              rolls back and retries (application loop, up to 30 tries) and its
              NOT EXISTS then sees the winner's rows. Uniqueness enforced at commit.
  claim_race  an outbox of 20,000; each worker claims batches of 500 queued rows
              (UPDATE ... SET claim_token) and commits; on a conflict it rolls back
              and tries again. Double claims = ids both workers committed a claim on.
Reported per scenario: each worker's commits, conflict errors (first message), the
end state (rows, duplicates, double claims) and wall time.
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

ROOT = os.path.join(os.environ.get("BENCH_ROOT", "/tmp/bench_backends"), "race")
TXNS, SLICE, OUTBOX, CLAIM = 20, 1000, 20_000, 500


def short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:400]}"


def worker(kind: str, scenario: str, w: int, marker: str) -> None:
    out = {"worker": w, "commits": 0, "errors": 0, "first_error": None, "claimed": []}
    try:
        con = c.open_backend(kind, ROOT)
    except Exception as exc:
        out["open_error"] = short(exc)
        open(f"{marker}.ready{w}", "w").close()
        with open(f"{marker}.out{w}", "w") as fh:
            json.dump(out, fh)
        return
    open(f"{marker}.ready{w}", "w").close()
    while not os.path.exists(marker + ".go"):
        time.sleep(0.005)
    start = time.perf_counter()

    def attempt(statements, tries=30):
        for _ in range(tries):
            try:
                con.execute("BEGIN")
                got = None
                for sql, params in statements:
                    res = con.execute(sql, params)
                    if sql.lstrip().upper().startswith("SELECT"):
                        got = res.fetchall()
                con.execute("COMMIT")
                out["commits"] += 1
                return got
            except Exception as exc:
                out["errors"] += 1
                out["first_error"] = out["first_error"] or short(exc)
                try:
                    con.execute("ROLLBACK")
                except Exception:
                    pass
                time.sleep(0.01)
        return None

    insert = ("INSERT INTO contacts SELECT k, ? FROM range(?, ?) t(k) "
              "WHERE NOT EXISTS (SELECT 1 FROM contacts c WHERE c.k = t.k)")
    for i in range(TXNS if scenario != "claim_race" else 10_000):
        if scenario == "append":
            lo = w * 10_000_000 + i * SLICE
            attempt([("INSERT INTO contacts SELECT range, ? FROM range(?, ?)", [w, lo, lo + SLICE])], tries=1)
        elif scenario == "dup_insert":
            attempt([(insert, [w, i * SLICE, (i + 1) * SLICE])], tries=1)
        elif scenario == "guarded":
            attempt([("UPDATE write_guard SET n = n + 1 WHERE name = 'contacts'", []),
                     (insert, [w, i * SLICE, (i + 1) * SLICE])])
        elif scenario == "claim_race":
            token = f"w{w}-{i}"
            got = attempt([
                ("UPDATE outbox SET claim_token = ? WHERE outbox_id IN (SELECT outbox_id FROM outbox "
                 "WHERE claim_token IS NULL ORDER BY outbox_id LIMIT ?)", [token, CLAIM]),
                ("SELECT outbox_id FROM outbox WHERE claim_token = ?", [token])], tries=1)
            if got:
                out["claimed"].extend(r[0] for r in got)
            elif got is not None or con.execute(
                    "SELECT count(*) FROM outbox WHERE claim_token IS NULL").fetchone()[0] == 0:
                break
    out["seconds"] = time.perf_counter() - start
    con.close()
    with open(f"{marker}.out{w}", "w") as fh:
        json.dump(out, fh)


def setup(kind: str) -> None:
    c.fresh(kind, ROOT)
    con = c.open_backend(kind, ROOT)
    con.execute("CREATE TABLE contacts (k BIGINT NOT NULL, writer INTEGER)")
    con.execute("CREATE TABLE write_guard (name VARCHAR NOT NULL, n BIGINT NOT NULL)")
    con.execute("INSERT INTO write_guard VALUES ('contacts', 0)")
    con.execute("CREATE TABLE outbox (outbox_id BIGINT NOT NULL, claim_token VARCHAR)")
    con.execute("INSERT INTO outbox SELECT range, NULL FROM range(?)", [OUTBOX])
    con.close()


def run(kind: str, scenario: str, rep: int) -> dict:
    setup(kind)
    marker = os.path.join(ROOT, f"m_{kind}_{scenario}_{rep}")
    for f in os.listdir(ROOT):
        if f.startswith(os.path.basename(marker) + "."):
            os.remove(os.path.join(ROOT, f))
    procs = [subprocess.Popen([sys.executable, os.path.abspath(__file__), "worker", kind, scenario, str(w), marker])
             for w in (0, 1)]
    for w in (0, 1):
        while not os.path.exists(f"{marker}.ready{w}"):
            time.sleep(0.01)
    open(marker + ".go", "w").close()
    for p in procs:
        p.wait(timeout=900)
    outs = []
    for w in (0, 1):
        with open(f"{marker}.out{w}") as fh:
            outs.append(json.load(fh))
    con = c.open_backend(kind, ROOT)
    rows, distinct = con.execute("SELECT count(*), count(DISTINCT k) FROM contacts").fetchone()
    con.close()
    double = sorted(set(outs[0]["claimed"]) & set(outs[1]["claimed"]))
    for o in outs:
        o["claimed"] = len(o["claimed"])
    return {"backend": kind, "scenario": scenario, "rep": rep, "load": c.loadavg(), "rows": rows,
            "duplicates": rows - distinct, "double_claims": len(double), "workers": outs}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--backends", default="duckdb_file,ducklake_sqlite_wal,ducklake_postgres")
    ap.add_argument("--scenarios", default="append,dup_insert,guarded,claim_race")
    args = ap.parse_args()
    kinds = args.backends.split(",")
    pg = c.start_postgres(os.path.join(ROOT, "pg")) if "ducklake_postgres" in kinds else None
    if "ducklake_postgres" in kinds and pg is None:
        kinds.remove("ducklake_postgres")
    results = []
    try:
        for rep in range(args.repeats):
            for kind in kinds:
                for scenario in args.scenarios.split(","):
                    r = run(kind, scenario, rep)
                    print(json.dumps(r), flush=True)
                    results.append(r)
    finally:
        c.stop_postgres(pg)
    print("\nsummary (over repeats): rows, duplicates, double claims, commits/errors per worker")
    for r in results:
        ws = " | ".join(f"w{o['worker']}: {o.get('open_error') or ''}commits={o['commits']} errors={o['errors']} "
                        f"claimed={o['claimed']} {(o['first_error'] or '')[:90]}" for o in r["workers"])
        print(f"{r['backend']:20} {r['scenario']:11} rep{r['rep']} rows={r['rows']} dup={r['duplicates']} "
              f"double={r['double_claims']} :: {ws}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["worker"]:
        worker(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    else:
        main()
