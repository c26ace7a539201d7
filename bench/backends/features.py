"""Checks of DuckLake semantics Optline would rely on (not timings, except maintenance).

How to run
----------
    /tmp/b12/venv/bin/python bench/backends/features.py [--backend ducklake_sqlite_wal]

(scratch venv and PostgreSQL: see _common.py; ducklake_postgres starts its own
cluster.) Work files under /tmp/bench_backends/features.

Prints, one line each, what happens on this DuckLake build when Optline tries:
PRIMARY KEY / UNIQUE / sequences / DEFAULT nextval; INSERT ... ON CONFLICT;
UPDATE ... RETURNING; MERGE INTO; time travel (AT VERSION / AT TIMESTAMP);
the change feed (table_changes); data inlining of small inserts; snapshots
per commit; and maintenance after 200 small commits: file count, then
ducklake_flush_inlined_data, ducklake_merge_adjacent_files,
ducklake_expire_snapshots, ducklake_cleanup_old_files (time and files after);
for the SQLite catalog, whether a plain attach without META options keeps WAL.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as c  # noqa: E402

ROOT = os.path.join(os.environ.get("BENCH_ROOT", "/tmp/bench_backends"), "features")


def attempt(con, label: str, sql: str, show=True):
    try:
        res = con.execute(sql)
        rows = res.fetchall() if res.description else None
        print(f"OK    {label}: {rows if show and rows is not None else ''}"[:300])
        return rows
    except Exception as exc:
        print(f"FAILS {label}: {' '.join(str(exc).split())[:220]}")
        return None


def files(root: str) -> int:
    return len(glob.glob(os.path.join(root, "wh_data", "**", "*.parquet"), recursive=True))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backend", default="ducklake_sqlite_wal")
    args = ap.parse_args()
    kind = args.backend
    pg = c.start_postgres(os.path.join(ROOT, "pg")) if kind == "ducklake_postgres" else None
    try:
        c.fresh(kind, ROOT)
        con = c.open_backend(kind, ROOT)
        attempt(con, "PRIMARY KEY", "CREATE TABLE t_pk (id BIGINT PRIMARY KEY)")
        attempt(con, "UNIQUE", "CREATE TABLE t_u (id BIGINT UNIQUE)")
        attempt(con, "CREATE SEQUENCE", "CREATE SEQUENCE s1")
        attempt(con, "NOT NULL", "CREATE TABLE contacts (contact_id BIGINT NOT NULL, e164 VARCHAR NOT NULL, "
                                 "first_name VARCHAR)")
        attempt(con, "NOT NULL enforced", "INSERT INTO contacts VALUES (1, NULL, 'a')")
        attempt(con, "insert", "INSERT INTO contacts VALUES (1, '+14150000001', 'a'), (2, '+14150000002', 'b')")
        v1 = con.execute("SELECT max(snapshot_id) FROM wh.snapshots()").fetchone()[0]
        attempt(con, "ON CONFLICT", "INSERT INTO contacts VALUES (1, '+14150000001', 'z') "
                                    "ON CONFLICT (contact_id) DO NOTHING")
        attempt(con, "UPDATE RETURNING", "UPDATE contacts SET first_name = 'c' WHERE contact_id = 2 RETURNING *")
        attempt(con, "MERGE INTO", "MERGE INTO contacts t USING (VALUES (2, '+14150000002', 'B'), "
                                   "(3, '+14150000003', 'c')) s(contact_id, e164, first_name) "
                                   "ON t.contact_id = s.contact_id WHEN MATCHED THEN UPDATE SET first_name = "
                                   "s.first_name WHEN NOT MATCHED THEN INSERT VALUES (s.contact_id, s.e164, "
                                   "s.first_name)")
        v2 = con.execute("SELECT max(snapshot_id) FROM wh.snapshots()").fetchone()[0]
        attempt(con, f"time travel AT (VERSION => {v1})", f"SELECT * FROM contacts AT (VERSION => {v1}) ORDER BY 1")
        attempt(con, "now", "SELECT * FROM contacts ORDER BY 1")
        attempt(con, f"table_changes v{v1 + 1}..v{v2}",
                f"SELECT snapshot_id, change_type, contact_id, first_name FROM "
                f"wh.table_changes('contacts', {v1 + 1}, {v2}) ORDER BY 1, 2, 3")
        attempt(con, "snapshots", "SELECT snapshot_id, changes FROM wh.snapshots() ORDER BY 1")
        attempt(con, "inlined? (parquet files after 3 small writes)",
                f"SELECT {files(ROOT)} AS parquet_files")
        attempt(con, "options", "SELECT option_name, value FROM wh.options() WHERE option_name LIKE '%inlin%'")
        # maintenance after many small commits, over the inlining limit
        con.execute("CREATE TABLE ledger (event_id BIGINT NOT NULL, kind VARCHAR)")
        t = time.perf_counter()
        for i in range(200):
            con.execute("INSERT INTO ledger SELECT range, 'sent' FROM range(?, ?)", [i * 50, i * 50 + 50])
        print(f"      200 commits of 50 rows: {time.perf_counter() - t:.1f}s, parquet files={files(ROOT)}")
        for label, sql in (
            ("flush_inlined_data", "CALL ducklake_flush_inlined_data('wh')"),
            ("merge_adjacent_files", "CALL ducklake_merge_adjacent_files('wh')"),
            ("expire_snapshots", "CALL ducklake_expire_snapshots('wh', older_than => now())"),
            ("cleanup_old_files", "CALL ducklake_cleanup_old_files('wh', cleanup_all => true)"),
        ):
            t = time.perf_counter()
            attempt(con, label, sql, show=False)
            print(f"      {label}: {time.perf_counter() - t:.2f}s, parquet files={files(ROOT)}")
        attempt(con, "ledger intact", "SELECT count(*), count(DISTINCT event_id) FROM ledger")
        attempt(con, "CHECKPOINT", "CHECKPOINT")
        con.close()
        if kind == "ducklake_sqlite_wal":
            # WAL is a property of the file: does a plain attach (what an analyst types) keep it?
            path = os.path.join(ROOT, "wh_catalog.sqlite")
            ro = c.open_backend("ducklake_sqlite", ROOT, read_only=True)
            ro.execute("SELECT count(*) FROM ledger").fetchone()
            ro.close()
            with contextlib.closing(sqlite3.connect(path)) as lite:
                mode = lite.execute("PRAGMA journal_mode").fetchone()[0]
            print(f"OK    journal mode after a plain READ_ONLY attach without META options: {mode}")
    finally:
        c.stop_postgres(pg)


if __name__ == "__main__":
    main()
