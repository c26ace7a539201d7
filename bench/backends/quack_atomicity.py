"""Does a client transaction over Quack stay all-or-nothing for other clients?

How to run
----------
    /tmp/b12/venv/bin/python bench/backends/quack_atomicity.py

(scratch venv: see _common.py.) Starts a DuckDB process serving a file over
Quack on 127.0.0.1 (BENCH_QUACK_PORT, default 59494), then with two clients A, B:
  1. B attaches before A creates table t: can B see t?
  2. A: BEGIN; INSERT 1,000 rows (not committed). What count does B see?
  3. A: ROLLBACK. What counts do A and B see?
A transactional backend answers: 1. yes (after a refresh), 2. 0, 3. 0 and 0.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as c  # noqa: E402

ROOT = os.path.join(os.environ.get("BENCH_ROOT", "/tmp/bench_backends"), "quack_tx")


def main() -> None:
    os.makedirs(ROOT, exist_ok=True)
    c.fresh("duckdb_file", ROOT)
    server = c.start_quack_server(ROOT)
    try:
        a = c.open_backend("quack", ROOT)
        b_early = c.open_backend("quack", ROOT)
        a.execute("CREATE TABLE t (x INTEGER)")
        try:
            print("1. client attached before CREATE sees t:", b_early.execute("SELECT count(*) FROM t").fetchone())
        except Exception as exc:
            print("1. client attached before CREATE sees t: no:", " ".join(str(exc).split())[:120])
        b = c.open_backend("quack", ROOT)
        a.execute("BEGIN")
        a.execute("INSERT INTO t SELECT range FROM range(1000)")
        print("2. B's count while A's transaction is open:", b.execute("SELECT count(*) FROM t").fetchone()[0])
        a.execute("ROLLBACK")
        print("3. after A's ROLLBACK: A sees", a.execute("SELECT count(*) FROM t").fetchone()[0],
              "B sees", b.execute("SELECT count(*) FROM t").fetchone()[0])
    finally:
        c.stop_quack_server(server)


if __name__ == "__main__":
    main()
