"""Measure 3: the dispatcher's small writes (claim, then record) per row vs in batches.

How to run
----------
    /tmp/b12/venv/bin/python bench/backends/small_writes.py [--messages 20000]
        [--batches 1,100,500,1000] [--repeats 3] [--per-row-cap 300]
        [--backends duckdb_file,ducklake_sqlite_wal,ducklake_postgres,ducklake_sqlite_wal_inl,ducklake_postgres_inl]

(scratch venv and PostgreSQL: see _common.py.) Work files under
/tmp/bench_backends/small (BENCH_ROOT to change).

An outbox of N queued messages. For each batch size B, until all are sent:
  claim   UPDATE outbox SET status='claimed', claim_token=?, claimed_at=now()
          WHERE outbox_id IN (the next B queued) RETURNING outbox_id;  COMMIT
          (DuckLake has no UPDATE ... RETURNING: the claimed ids are read back by
          token inside the same transaction)
  record  UPDATE outbox SET status='sent', sent_at=now(), provider_id=...
          WHERE claim_token=? AND status='claimed';                     COMMIT
Two commits per batch, as the dispatcher does two per message today (B=1).
B=1 is stopped after --per-row-cap messages (on DuckLake one commit costs tens of
ms: 20,000 would take most of an hour) and the rate is extrapolated.
`*_inl` variants set the DuckLake option data_inlining_row_limit to the batch
size, so each batch's rows live in the catalog database instead of new Parquet
files. Prints messages/s per backend and batch size, medians of the repeats.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as c  # noqa: E402

ROOT = os.path.join(os.environ.get("BENCH_ROOT", "/tmp/bench_backends"), "small")


def run(kind: str, messages: int, batch: int, cap: int) -> dict:
    real = kind.removesuffix("_inl")
    c.fresh(real, ROOT)
    con = c.open_backend(real, ROOT)
    con.execute("CREATE TABLE outbox (outbox_id BIGINT NOT NULL, e164 VARCHAR NOT NULL, body VARCHAR, "
                "status VARCHAR NOT NULL, claim_token VARCHAR, claimed_at TIMESTAMPTZ, "
                "sent_at TIMESTAMPTZ, provider_id VARCHAR)")
    con.execute("INSERT INTO outbox SELECT range, '+1415' || lpad(range::varchar, 7, '0'), 'Welcome!', "
                "'queued', NULL, NULL, NULL, NULL FROM range(?)", [messages])
    if kind.endswith("_inl"):
        con.execute(f"CALL wh.set_option('data_inlining_row_limit', {max(batch, 10)}, table_name => 'outbox')")
    target = min(messages, cap) if batch == 1 else messages
    sent, n_batch, start = 0, 0, time.perf_counter()
    while sent < target:
        token = f"tok-{n_batch}"
        con.execute("BEGIN")
        pick = ("WHERE outbox_id IN (SELECT outbox_id FROM outbox WHERE status = 'queued' "
                "ORDER BY outbox_id LIMIT ?)")
        if real == "duckdb_file":
            claimed = con.execute(
                "UPDATE outbox SET status = 'claimed', claim_token = ?, claimed_at = now() "
                f"{pick} RETURNING outbox_id", [token, batch]).fetchall()
        else:  # DuckLake: no UPDATE ... RETURNING; read the claim back in the same transaction
            con.execute(f"UPDATE outbox SET status = 'claimed', claim_token = ?, claimed_at = now() {pick}",
                        [token, batch])
            claimed = con.execute("SELECT outbox_id FROM outbox WHERE claim_token = ?", [token]).fetchall()
        con.execute("COMMIT")
        # (the provider would be called here, within its rate, for each claimed message)
        con.execute("BEGIN")
        con.execute("UPDATE outbox SET status = 'sent', sent_at = now(), provider_id = 'p-' || outbox_id "
                    "WHERE claim_token = ? AND status = 'claimed'", [token])
        con.execute("COMMIT")
        sent += len(claimed)
        n_batch += 1
    elapsed = time.perf_counter() - start
    done = con.execute("SELECT count(*) FROM outbox WHERE status = 'sent'").fetchone()[0]
    assert done == sent, (done, sent)
    con.close()
    return {"backend": kind, "batch": batch, "messages": sent, "seconds": elapsed,
            "msg_per_s": sent / elapsed, "commits": 2 * n_batch, "load": c.loadavg(),
            "size_mb": c.size_of(ROOT) / 1e6}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=20_000)
    ap.add_argument("--batches", default="1,100,500,1000")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--per-row-cap", type=int, default=300)
    ap.add_argument("--backends", default="duckdb_file,ducklake_sqlite_wal,ducklake_postgres,"
                                          "ducklake_sqlite_wal_inl,ducklake_postgres_inl")
    args = ap.parse_args()
    kinds = args.backends.split(",")
    batches = [int(b) for b in args.batches.split(",")]
    needs_pg = any("postgres" in k for k in kinds)
    pg = c.start_postgres(os.path.join(ROOT, "pg")) if needs_pg else None
    if needs_pg and pg is None:
        kinds = [k for k in kinds if "postgres" not in k]
    results = []
    try:
        for _ in range(args.repeats):
            for kind in kinds:
                for batch in batches:
                    if kind.endswith("_inl") and batch == 1:
                        continue  # per-row writes are inlined by the default limit already
                    r = run(kind, args.messages, batch, args.per_row_cap)
                    print(json.dumps(r), flush=True)
                    results.append(r)
    finally:
        c.stop_postgres(pg)
    print("\nsummary: median messages/s (claim + record, two commits per batch)")
    print(f"{'backend':26}" + "".join(f"{'B=' + str(b):>12}" for b in batches))
    for kind in kinds:
        row = f"{kind:26}"
        for b in batches:
            vals = [r["msg_per_s"] for r in results if r["backend"] == kind and r["batch"] == b]
            row += f"{c.median(vals):12.0f}" if vals else f"{'-':>12}"
        print(row)


if __name__ == "__main__":
    main()
