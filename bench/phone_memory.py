"""Phone normalization memory benchmark: peak memory of `phones.normalize_batch` over N
distinct phone values, for the whole process tree (this process, the forkserver, the
resource tracker and the parsing workers).

    .venv/bin/python bench/phone_memory.py                     # 1,000,000 distinct values
    .venv/bin/python bench/phone_memory.py --values 200000 --chunk-size 50000
    .venv/bin/python bench/phone_memory.py --chunk-size 0      # one chunk: every value at once

What it does, inside a work directory (a fresh temp dir unless --workdir; removed afterwards
unless --keep):

1. in a child process (so that its memory is not counted), writes a contact CSV of N rows
   with N distinct numbers (`optline.samples.write_bulk_csv`, no duplicates) and stages it
   into a fresh warehouse (`contacts.staging.stage_file`);
2. in this process, opens that warehouse and runs `normalize_batch` in one transaction, as
   `contacts.rules.check_batch` does, while a thread samples every 50 ms the resident set
   (VmRSS) and the proportional set (Pss, shared pages split between the processes sharing
   them) of this process and of all its descendants;
3. prints the seconds, the tree's RSS before, its peak RSS and peak PSS during the step, this
   process's own peak (VmHWM), and the most processes seen at once. It never asserts.

The sum of RSS counts pages the forkserver's children share with it once per process, so it
overstates the tree's real use; the sum of PSS does not. To compare with another tree of the
code (e.g. `git archive HEAD include sql`), point PYTHONPATH at its `include/` and
OPTLINE_SQL_DIR at its `sql/`; `--chunk-size` is passed only to a `normalize_batch` that takes it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import inspect
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

AS_OF = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)


def _prepare(workdir: Path, values: int) -> None:
    from optline import warehouse
    from optline.contacts.staging import stage_file
    from optline.intake.manifest import load_manifest
    from optline.runs import RunContext
    from optline.samples import write_bulk_csv

    path = write_bulk_csv(workdir / "inbox" / "bulk.csv", values, as_of=AS_OF.date(), duplicate_share=0.0)
    conn = warehouse.connect(workdir / "warehouse.duckdb")
    batch = stage_file(conn, path, load_manifest(path), RunContext(as_of=AS_OF)).batch_id
    conn.close()
    print(batch)


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            tree.setdefault(int(stat[stat.rindex(")") + 2:].split()[1]), []).append(int(entry))
    return tree


def _kib(path: str, field: str) -> int:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeSampler(threading.Thread):
    """Samples the RSS and PSS sums of this process and its descendants until stopped."""

    def __init__(self, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.peak_rss_kib = self.peak_pss_kib = self.most_processes = 0
        self._done = threading.Event()

    def sample(self) -> tuple[int, int, int]:
        children = _children()
        pids, frontier = [os.getpid()], [os.getpid()]
        while frontier:
            kids = children.get(frontier.pop(), [])
            pids += kids
            frontier += kids
        rss = sum(_kib(f"/proc/{p}/status", "VmRSS:") for p in pids)
        pss = sum(_kib(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids)
        return rss, pss, len(pids)

    def run(self) -> None:
        while not self._done.is_set():
            rss, pss, count = self.sample()
            self.peak_rss_kib = max(self.peak_rss_kib, rss)
            self.peak_pss_kib = max(self.peak_pss_kib, pss)
            self.most_processes = max(self.most_processes, count)
            self._done.wait(self.interval)

    def stop(self) -> None:
        self._done.set()
        self.join()


def _measure(workdir: Path, batch: int, chunk_size: int | None) -> dict:
    from optline import phones, warehouse

    conn = warehouse.connect(workdir / "warehouse.duckdb")
    kwargs = {}
    if chunk_size is not None and "chunk_size" in inspect.signature(phones.normalize_batch).parameters:
        kwargs["chunk_size"] = chunk_size or sys.maxsize
    sampler = TreeSampler()
    before_rss, before_pss, _ = sampler.sample()
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM
    except OSError:
        pass
    sampler.start()
    start = time.perf_counter()
    parsed = phones.normalize_batch(conn, batch, "US", **kwargs)
    seconds = time.perf_counter() - start
    sampler.stop()
    conn.close()
    return {
        "values": parsed,
        "chunk_size": kwargs.get("chunk_size", getattr(phones, "NORMALIZE_CHUNK", "all at once")),
        "seconds": round(seconds, 1),
        "tree_rss_before_mib": round(before_rss / 1024),
        "tree_peak_rss_mib": round(sampler.peak_rss_kib / 1024),
        "tree_peak_pss_mib": round(sampler.peak_pss_kib / 1024),
        "main_peak_rss_mib": round(_kib("/proc/self/status", "VmHWM:") / 1024),
        "most_processes": sampler.most_processes,
        "phones_module": phones.__file__,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--values", type=int, default=1_000_000, help="distinct phone values (default 1000000)")
    parser.add_argument("--chunk-size", type=int, default=None,
                        help="values per chunk (default: the module's NORMALIZE_CHUNK; 0: all in one chunk)")
    parser.add_argument("--workdir", type=Path, help="work dir (default: a fresh temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the temp work dir")
    parser.add_argument("--json", action="store_true", help="also print the figures as one JSON object")
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="optline-phone-memory-"))
    os.environ.setdefault("OPTLINE_HMAC_KEY", "bench-key-" + "0123456789abcdef" * 4)
    os.environ["OPTLINE_DATA_DIR"] = str(workdir)
    if args.prepare:
        _prepare(workdir, args.values)
        return
    try:
        print(f"staging {args.values:,} distinct values in {workdir} ...", flush=True)
        out = subprocess.run([sys.executable, __file__, "--prepare", "--values", str(args.values),
                              "--workdir", str(workdir)], check=True, capture_output=True, text=True).stdout
        figures = _measure(workdir, int(out.split()[-1]), args.chunk_size)
        for key, value in figures.items():
            print(f"{key:22} {value}")
        if args.json:
            print(json.dumps(figures))
    finally:
        if not (args.keep or args.workdir):
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
