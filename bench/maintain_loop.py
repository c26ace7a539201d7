"""Does `warehouse.maintain` ever take its process down? A reliability loop, not a speed figure.

    .venv/bin/python bench/maintain_loop.py                      # 2 loops x 250 maintenances
    .venv/bin/python bench/maintain_loop.py --loops 2 --iterations 400

Each loop is a process that, `--iterations` times, makes a fresh SQLite-catalog lake (attached to
the same DuckDB instance, as a pytest worker does), commits 24 single-row inserts and 8 updates
one transaction each (what a day of small batches leaves: inlined rows, deleted inlined rows) and
runs `warehouse.maintain(keep_days=0)`. A loop the C code aborts (a signal, e.g. glibc's "double
free or corruption") is counted and started again for its remaining maintenances. Two loops at
once on two cores found the abort of DuckLake's multi-threaded `ducklake_flush_inlined_data`
(docs/warehouse_backends.md, Risks): 2 in 277 before `lake.maintain` ran it on one thread.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def worker(iterations: int, workdir: Path) -> None:
    """`iterations` maintenances of fresh lakes in this process; a line per one done."""
    sys.path.insert(0, str(PROJECT / "include"))
    os.environ["OPTLINE_WAREHOUSE_FORMAT"] = "ducklake"
    from optline import warehouse

    for _ in range(iterations):
        root = Path(tempfile.mkdtemp(prefix="lake", dir=workdir))
        os.environ["OPTLINE_DATA_DIR"] = str(root)
        os.environ["OPTLINE_WAREHOUSE"] = str(root / "warehouse.duckdb")
        conn = warehouse.connect(root / "warehouse.duckdb")
        for i in range(24):
            with warehouse.transaction(conn):
                conn.execute("insert into core.tags (tag_id, name, name_key) values (?, ?, ?)",
                             [i, f"Tag {i}", f"tag {i}"])
        for i in range(0, 24, 3):
            with warehouse.transaction(conn):
                conn.execute("update core.tags set name = name || '!' where tag_id = ?", [i])
        warehouse.maintain(conn, keep_days=0)
        names = conn.execute("select count(*), count(*) filter (where name like '%!') from core.tags").fetchone()
        conn.close()
        if names != (24, 8):
            raise SystemExit(f"the lake read {names} after maintenance, not (24, 8): rows changed")
        print("done", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loops", type=int, default=2, help="processes at once (default 2, the cores here)")
    parser.add_argument("--iterations", type=int, default=250, help="maintenances per loop (default 250)")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help="where the lakes go (default: a new temporary folder)")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="maintain-loop-"))
    if args.worker is not None:
        worker(args.worker, workdir)
        return
    started = time.monotonic()
    left = [args.iterations] * args.loops
    aborts: list[str] = []
    running = {n: None for n in range(args.loops)}
    while any(left):
        for n in running:
            if running[n] is None and left[n]:
                running[n] = subprocess.Popen(
                    [sys.executable, __file__, "--worker", str(left[n]), "--workdir", str(workdir)],
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for n, process in running.items():
            if process is None:
                continue
            out, err = process.communicate()
            left[n] -= out.count("done\n")
            running[n] = None
            if process.returncode < 0:
                first = next((line for line in err.splitlines() if line.strip()), "")
                aborts.append(f"loop {n}: signal {-process.returncode} after its maintenance "
                              f"{args.iterations - left[n] + 1}: {first}")
            elif process.returncode != 0:
                raise SystemExit(f"loop {n} failed (exit {process.returncode}):\n{err[-2000:]}")
            break
    total = args.loops * args.iterations
    print(f"{total:,} maintenances in {args.loops} loops, {time.monotonic() - started:,.0f} s: "
          f"{len(aborts)} aborted the process")
    for line in aborts:
        print("  " + line)
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
