"""Measure 5: the cost of publishing a read-only copy of the warehouse for analysts.

How to run
----------
    /tmp/b12/venv/bin/python bench/backends/published_copy.py [--contacts 5000000] [--repeats 3]

(scratch venv: see _common.py.) Work files under /tmp/bench_backends/publish.

Builds a DuckDB warehouse of N contacts (contacts + a 2x memberships table +
a 1x ledger of consent events), then times, each repeat:
  checkpoint_copy  CHECKPOINT, then a byte copy of the file (what a publish step
                   after each run would do; readers open the copy read-only)
  copy_database    ATTACH a new file; COPY FROM DATABASE src TO pub
  ducklake_publish for a DuckLake (SQLite catalog) holding the same data: a
                   backup of the catalog file only (`sqlite3 .backup`), since the
                   Parquet files are immutable and shared
The reference is checkpoint_copy. Sizes in MB; the 50M-contact cost is
extrapolated linearly (10x) and stated as such.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as c  # noqa: E402

ROOT = os.path.join(os.environ.get("BENCH_ROOT", "/tmp/bench_backends"), "publish")


def build(con, n: int) -> None:
    con.execute(
        "CREATE TABLE contacts AS SELECT range AS contact_id, '+1415' || lpad((range % 10000000)::varchar, 7, '0') "
        "AS e164, 'first' || (range % 5000) AS first_name, 'last' || (range % 7000) AS last_name, "
        "'user' || range || '@example.org' AS email, DATE '1960-01-01' + (range % 15000)::int AS dob, "
        "'city' || (range % 900) AS city, range // 100000 AS first_batch_id, "
        "TIMESTAMP '2026-01-01' + to_seconds(range) AS created_at FROM range(?)", [n])
    con.execute("CREATE TABLE memberships AS SELECT range % ? AS contact_id, range % 40 AS list_id, "
                "'active' AS status FROM range(?)", [n, 2 * n])
    con.execute("CREATE TABLE consent_events AS SELECT range AS event_id, range AS contact_id, 'opt_in' AS kind, "
                "TIMESTAMP '2026-01-01' + to_seconds(range) AS at FROM range(?)", [n])


def main() -> None:
    import duckdb

    ap = argparse.ArgumentParser()
    ap.add_argument("--contacts", type=int, default=5_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    os.makedirs(ROOT, exist_ok=True)
    src = os.path.join(ROOT, "src.duckdb")
    if not os.path.exists(src):
        con = duckdb.connect(src)
        t = time.perf_counter()
        build(con, args.contacts)
        con.close()
        print(f"built {src} in {time.perf_counter() - t:.1f}s")
    lake_root = os.path.join(ROOT, "lake")
    if not os.path.exists(lake_root):
        lake = c.open_backend("ducklake_sqlite_wal", lake_root)
        t = time.perf_counter()
        lake.execute(f"ATTACH '{src}' AS src (READ_ONLY)")
        for table in ("contacts", "memberships", "consent_events"):
            lake.execute(f"CREATE TABLE wh.{table} AS SELECT * FROM src.{table}")
        lake.close()
        print(f"built DuckLake copy in {time.perf_counter() - t:.1f}s")
    results = []
    for rep in range(args.repeats):
        r = {"rep": rep, "load": c.loadavg()}
        pub = os.path.join(ROOT, "pub.duckdb")
        t = time.perf_counter()
        con = duckdb.connect(src)
        con.execute("CHECKPOINT")
        con.close()
        shutil.copyfile(src, pub)
        r["checkpoint_copy_s"] = time.perf_counter() - t
        r["file_mb"] = os.path.getsize(pub) / 1e6
        os.remove(pub)
        t = time.perf_counter()
        con = duckdb.connect()
        con.execute(f"ATTACH '{src}' AS src (READ_ONLY)")
        con.execute(f"ATTACH '{pub}' AS pub")
        con.execute("COPY FROM DATABASE src TO pub")
        con.close()
        r["copy_database_s"] = time.perf_counter() - t
        r["copy_database_mb"] = os.path.getsize(pub) / 1e6
        os.remove(pub)
        cat = os.path.join(lake_root, "wh_catalog.sqlite")
        backup = os.path.join(ROOT, "catalog_backup.sqlite")
        t = time.perf_counter()
        with sqlite3.connect(cat) as a, sqlite3.connect(backup) as b:
            a.backup(b)
        r["ducklake_publish_s"] = time.perf_counter() - t
        r["ducklake_catalog_mb"] = os.path.getsize(backup) / 1e6
        r["ducklake_total_mb"] = c.size_of(lake_root) / 1e6
        os.remove(backup)
        print(json.dumps(r), flush=True)
        results.append(r)
    ref = c.median([r["checkpoint_copy_s"] for r in results])
    print(f"\nsummary ({args.contacts:,} contacts, medians):")
    for key, size in (("checkpoint_copy_s", "file_mb"), ("copy_database_s", "copy_database_mb"),
                      ("ducklake_publish_s", "ducklake_catalog_mb")):
        t = c.median([r[key] for r in results])
        mb = c.median([r[size] for r in results])
        print(f"{key:20} {t:8.2f}s (x{t / ref:.2f})  {mb:9.1f} MB  -> 10x contacts ~ {10 * t:.0f}s per publish")
    print(f"ducklake data+catalog on disk: {c.median([r['ducklake_total_mb'] for r in results]):.1f} MB")


if __name__ == "__main__":
    main()
