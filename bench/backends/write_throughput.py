"""Measure 2: import-like bulk writes on each backend.

How to run
----------
    /tmp/b12/venv/bin/python bench/backends/write_throughput.py [--rows 1000000]
        [--target 5000000] [--repeats 3] [--backends duckdb_file,ducklake_sqlite_wal,ducklake_postgres]

(scratch venv and PostgreSQL: see _common.py.) Work files under
/tmp/bench_backends/write (BENCH_ROOT to change).

Per backend and repeat, in one process, each step its own transaction:
  ctas_csv     CREATE TABLE AS SELECT from a 1M-row contacts CSV (read_csv)
  insert_csv   INSERT INTO ... SELECT from the same CSV into an existing table
  build_5m     CREATE TABLE AS 5M generated contacts (the target of the upsert)
  merge_1m     MERGE INTO the 5M table USING 1M rows (half match: update, half new: insert)
and, for the DuckDB file only, `duckdb_file_pk`: the same upsert into a table with
PRIMARY KEY by INSERT ... ON CONFLICT DO UPDATE (today's way of keeping contacts
unique). The reference is duckdb_file in the same run: ratios are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as c  # noqa: E402

ROOT = os.path.join(os.environ.get("BENCH_ROOT", "/tmp/bench_backends"), "write")

CONTACT_SELECT = (
    "SELECT range AS contact_id, '+1415' || lpad((range % 10000000)::varchar, 7, '0') AS e164, "
    "'first' || (range % 5000) AS first_name, 'last' || (range % 7000) AS last_name, "
    "'batch-' || (range // 100000) AS batch, TIMESTAMP '2026-01-01' + to_seconds(range) AS created_at "
    "FROM range({lo}, {hi})"
)


def make_csv(rows: int) -> str:
    import duckdb

    path = os.path.join(ROOT, f"contacts_{rows}.csv")
    if not os.path.exists(path):
        os.makedirs(ROOT, exist_ok=True)
        duckdb.connect().execute(f"COPY ({CONTACT_SELECT.format(lo=0, hi=rows)}) TO '{path}' (HEADER)")
    return path


def step(con, sql: str, params=None) -> float:
    t = time.perf_counter()
    con.execute("BEGIN")
    con.execute(sql, params or [])
    con.execute("COMMIT")
    return time.perf_counter() - t


def run(kind: str, csv: str, rows: int, target: int) -> dict:
    real = "duckdb_file" if kind == "duckdb_file_pk" else kind
    c.fresh(real, ROOT)
    con = c.open_backend(real, ROOT)
    out = {"backend": kind, "load": c.loadavg()}
    if kind != "duckdb_file_pk":
        out["ctas_csv"] = step(con, f"CREATE TABLE imported AS SELECT * FROM read_csv('{csv}')")
        con.execute("CREATE TABLE imported2 AS SELECT * FROM imported LIMIT 0")
        out["insert_csv"] = step(con, f"INSERT INTO imported2 SELECT * FROM read_csv('{csv}')")
        assert con.execute("SELECT count(*) FROM imported2").fetchone()[0] == rows
    # the upsert source: rows target-rows/2 .. target+rows/2, half matching, with new names
    lo, hi = target - rows // 2, target + rows // 2
    con.execute(f"CREATE TEMP TABLE incoming AS SELECT * REPLACE ('new' || first_name AS first_name) "
                f"FROM ({CONTACT_SELECT.format(lo=lo, hi=hi)})")
    if kind == "duckdb_file_pk":
        con.execute("CREATE TABLE contacts (contact_id BIGINT PRIMARY KEY, e164 VARCHAR, first_name VARCHAR, "
                    "last_name VARCHAR, batch VARCHAR, created_at TIMESTAMP)")
        out["build_5m"] = step(con, f"INSERT INTO contacts {CONTACT_SELECT.format(lo=0, hi=target)}")
        out["merge_1m"] = step(
            con, "INSERT INTO contacts SELECT * FROM incoming ON CONFLICT (contact_id) DO UPDATE SET "
                 "first_name = excluded.first_name, batch = excluded.batch")
    else:
        out["build_5m"] = step(con, f"CREATE TABLE contacts AS {CONTACT_SELECT.format(lo=0, hi=target)}")
        out["merge_1m"] = step(
            con, "MERGE INTO contacts AS t USING incoming AS s ON t.contact_id = s.contact_id "
                 "WHEN MATCHED THEN UPDATE SET first_name = s.first_name, batch = s.batch "
                 "WHEN NOT MATCHED THEN INSERT VALUES (s.contact_id, s.e164, s.first_name, s.last_name, "
                 "s.batch, s.created_at)")
    n, renamed = con.execute("SELECT count(*), count(*) FILTER (first_name LIKE 'new%') FROM contacts").fetchone()
    assert (n, renamed) == (target + rows // 2, rows), (n, renamed)
    con.close()
    out["size_mb"] = c.size_of(ROOT) / 1e6
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--target", type=int, default=5_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--backends", default="duckdb_file,duckdb_file_pk,ducklake_sqlite_wal,ducklake_postgres")
    args = ap.parse_args()
    kinds = args.backends.split(",")
    pg = c.start_postgres(os.path.join(ROOT, "pg")) if "ducklake_postgres" in kinds else None
    if "ducklake_postgres" in kinds and pg is None:
        kinds.remove("ducklake_postgres")
    csv = make_csv(args.rows)
    results = []
    try:
        for _ in range(args.repeats):
            for kind in kinds:
                r = run(kind, csv, args.rows, args.target)
                print(json.dumps(r), flush=True)
                results.append(r)
    finally:
        c.stop_postgres(pg)
    print("\nsummary: median seconds (ratio to duckdb_file in the same run)")
    steps = ("ctas_csv", "insert_csv", "build_5m", "merge_1m")
    ref = {s: c.median([r[s] for r in results if r["backend"] == "duckdb_file" and s in r] or [float("nan")])
           for s in steps}
    for kind in kinds:
        cells = []
        for s in steps:
            vals = [r[s] for r in results if r["backend"] == kind and s in r]
            cells.append(f"{s}={c.median(vals):.2f}s(x{c.median(vals) / ref[s]:.2f})" if vals else f"{s}=-")
        print(f"{kind:20} " + " ".join(cells))


if __name__ == "__main__":
    main()
