"""Big-file benchmark: a ~1 GB CSV (~14M rows) through the real `optline import`, memory sampled.

Run it from the project root with the project's virtualenv:

    .venv/bin/python bench/big_file.py                       # 14,000,000 rows, ~1 GB
    .venv/bin/python bench/big_file.py --rows 1000000 --json
    .venv/bin/python bench/big_file.py --csv /tmp/big/bulk_contacts.csv   # reuse a generated file

What it does, all inside a fresh work directory (a temp dir unless --workdir; removed afterwards
unless --keep or --workdir):

1. writes `<workdir>/inbox/bulk_contacts.csv` (+ its manifest) with
   `optline.samples.write_bulk_csv` (the bulk sample's mix: US/CA numbers, `--duplicate-share`
   of the rows repeat an earlier one and are rejected as `duplicate_in_file`), or links the
   `--csv` file (and its manifest) there;
2. runs `optline -v import <file>` as a child process with OPTLINE_DATA_DIR (and the inbox,
   warehouse, reports) pointed at the work dir and a throwaway HMAC key;
3. every `--interval` seconds (0.5) sums the RSS of the whole process tree (the CLI, its
   forkserver and the phone-parsing workers, any depth) and, with --pss, its PSS (shared pages
   counted once: slower to read), keeping the peak overall and per step. The steps come from the
   CLI's log lines as they arrive (stage ends at "staged as batch", check at "N loaded, N
   rejected" + the rejects CSV, validate at the gate's "expectations" line, merge at "merged");
4. if the tree's RSS passes `--stop-above-mib` (default 8192) it is killed (SIGKILL, every
   process of the tree) so that a regression cannot take a shared machine down; the figures up
   to that point are printed, with the step it was in;
5. after the import, `optline summary` prints the batch's final status.

`--source DIR` runs the CLI from another checkout (e.g. `git archive HEAD` unpacked somewhere)
by putting `DIR/include` first on PYTHONPATH: the same run, with yesterday's code ("before").

It prints figures and never asserts them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

PROJECT = Path(__file__).resolve().parents[1]
FILE_NAME = "bulk_contacts.csv"
MIB = 1024 * 1024

# Log lines that end a step (the CLI's `-v` log), in order.
STEP_ENDS = (
    ("stage", re.compile(r"staged as batch \d+")),
    ("check", re.compile(r"batch \d+: \d+ loaded, \d+ rejected")),
    ("validate", re.compile(r"batch \d+: \d+ expectations, \d+ critical")),
    ("merge", re.compile(r"batch \d+ merged")),
)


@dataclass
class Figures:
    rows: int
    file_mb: float = 0.0
    generate_s: float = 0.0
    import_s: float = 0.0
    exit_code: int | None = None
    killed_at_mib: int | None = None
    peak_rss_mib: float = 0.0
    peak_pss_mib: float = 0.0
    peak_processes: int = 0
    step_s: dict[str, float] = field(default_factory=dict)
    step_peak_rss_mib: dict[str, float] = field(default_factory=dict)
    final_status: str = ""
    summary: str = ""
    stderr_tail: list[str] = field(default_factory=list)


def tree_memory(root: psutil.Process, with_pss: bool) -> tuple[float, float, int]:
    """RSS (and PSS) in bytes summed over `root` and all its descendants; the process count."""
    try:
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0, 0.0, 0
    rss = pss = 0.0
    for proc in procs:
        try:
            if with_pss:
                info = proc.memory_full_info()
                rss += info.rss
                pss += info.pss
            else:
                rss += proc.memory_info().rss
        except psutil.Error:
            continue
    return rss, pss, len(procs)


def kill_tree(root: psutil.Process) -> None:
    try:
        procs = [*root.children(recursive=True), root]
    except psutil.Error:
        return
    for proc in procs:
        try:
            proc.send_signal(signal.SIGKILL)
        except psutil.Error:
            pass


def prepare_input(workdir: Path, args: argparse.Namespace, fig: Figures) -> Path:
    inbox = workdir / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    target = inbox / FILE_NAME
    if args.csv:
        source = Path(args.csv).resolve()
        manifest = source.with_name(f"{source.name.split('.')[0]}.manifest.yaml")
        os.link(source, target) if source.stat().st_dev == inbox.stat().st_dev else shutil.copy(source, target)
        shutil.copy(manifest, inbox / f"{FILE_NAME.split('.')[0]}.manifest.yaml")
    else:
        sys.path.insert(0, str(PROJECT / "include"))
        from optline.samples import write_bulk_csv

        started = time.perf_counter()
        write_bulk_csv(target, args.rows, seed=args.seed, duplicate_share=args.duplicate_share)
        fig.generate_s = time.perf_counter() - started
    fig.file_mb = target.stat().st_size / 1e6
    return target


def run_import(workdir: Path, csv_path: Path, args: argparse.Namespace, fig: Figures) -> None:
    env = dict(os.environ)
    env.update(OPTLINE_DATA_DIR=str(workdir), OPTLINE_INBOX=str(workdir / "inbox"),
               OPTLINE_WAREHOUSE=str(workdir / "warehouse.duckdb"), OPTLINE_REPORTS=str(workdir / "reports"))
    env.setdefault("OPTLINE_HMAC_KEY", secrets.token_hex(32))
    if args.source:
        env["PYTHONPATH"] = str(Path(args.source).resolve() / "include")
    cli = [sys.executable, "-c", "import sys; from optline.cli import main; sys.exit(main())"]
    started = time.perf_counter()
    proc = subprocess.Popen([*cli, "-v", "import", str(csv_path)], env=env, cwd=workdir,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    root = psutil.Process(proc.pid)
    state = {"step": "stage", "step_started": started}
    tail: list[str] = []

    def read_log() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            now = time.perf_counter()
            tail.append(line.rstrip())
            del tail[:-30]
            if args.verbose:
                print(f"[{now - started:8.1f} s] {line.rstrip()}", flush=True)
            for name, pattern in STEP_ENDS:
                if name == state["step"] and pattern.search(line):
                    fig.step_s[name] = round(now - state["step_started"], 2)
                    following = [n for n, _ in STEP_ENDS]
                    index = following.index(name) + 1
                    state["step"] = following[index] if index < len(following) else "summary"
                    state["step_started"] = now

    reader = threading.Thread(target=read_log, daemon=True)
    reader.start()
    last_print = started
    while proc.poll() is None:
        rss, pss, count = tree_memory(root, args.pss)
        step = state["step"]
        fig.peak_rss_mib = max(fig.peak_rss_mib, rss / MIB)
        fig.peak_pss_mib = max(fig.peak_pss_mib, pss / MIB)
        fig.peak_processes = max(fig.peak_processes, count)
        fig.step_peak_rss_mib[step] = round(max(fig.step_peak_rss_mib.get(step, 0.0), rss / MIB), 1)
        now = time.perf_counter()
        if args.progress and now - last_print >= args.progress:
            print(f"[{now - started:8.1f} s] {step}: tree RSS {rss / MIB:,.0f} MiB ({count} processes), "
                  f"peak {fig.peak_rss_mib:,.0f} MiB", flush=True)
            last_print = now
        if rss / MIB > args.stop_above_mib:
            print(f"tree RSS {rss / MIB:,.0f} MiB > --stop-above-mib {args.stop_above_mib} during {step}: "
                  "killing the import", flush=True)
            fig.killed_at_mib = round(rss / MIB)
            kill_tree(root)
            break
        time.sleep(args.interval)
    fig.exit_code = proc.wait()
    fig.import_s = time.perf_counter() - started
    step = state["step"]
    fig.step_s[step] = round(time.perf_counter() - state["step_started"], 2)
    reader.join(timeout=5)
    assert proc.stdout is not None
    fig.summary = proc.stdout.read()
    fig.stderr_tail = tail[-10:]
    if fig.killed_at_mib is None:
        done = subprocess.run([*cli, "summary"], env=env, cwd=workdir, capture_output=True, text=True)
        fig.summary = done.stdout or fig.summary
        match = re.search(rf"^{re.escape(FILE_NAME)}\s+(\S+(?: imported)?)", fig.summary, re.MULTILINE)
        fig.final_status = match.group(1) if match else f"unknown (summary exit {done.returncode})"
    else:
        fig.final_status = f"killed during {step}"


def print_figures(fig: Figures) -> None:
    print(f"\nrows {fig.rows:,}  file {fig.file_mb:,.1f} MB  (generated in {fig.generate_s:.1f} s)")
    print(f"import: {fig.import_s:.1f} s, exit {fig.exit_code}, final status: {fig.final_status}")
    for step, seconds in fig.step_s.items():
        print(f"  {step:<9} {seconds:9.1f} s   peak tree RSS {fig.step_peak_rss_mib.get(step, 0):>9,.0f} MiB")
    pss = f", PSS {fig.peak_pss_mib:,.0f} MiB" if fig.peak_pss_mib else ""
    print(f"peak tree RSS {fig.peak_rss_mib:,.0f} MiB{pss} (up to {fig.peak_processes} processes)")
    if fig.killed_at_mib:
        print(f"stopped at {fig.killed_at_mib:,} MiB")
    print("\n" + fig.summary.strip())
    if fig.exit_code:
        print("\nlast log lines:\n" + "\n".join(fig.stderr_tail))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=14_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--duplicate-share", type=float, default=0.02,
                        help="share of rows repeating an earlier one (rejected as duplicate_in_file)")
    parser.add_argument("--csv", help="import this CSV (and its manifest) instead of generating one")
    parser.add_argument("--generate-only", metavar="FILE", help="write the CSV (+ manifest) to FILE and stop")
    parser.add_argument("--workdir", help="work dir (default: a fresh temp dir, removed afterwards)")
    parser.add_argument("--keep", action="store_true", help="keep the temp work dir")
    parser.add_argument("--source", help="run the CLI from this checkout (its include/ first on PYTHONPATH)")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between memory samples")
    parser.add_argument("--pss", action="store_true", help="also sum PSS (shared pages once; slower)")
    parser.add_argument("--stop-above-mib", type=int, default=8192, help="kill the import above this tree RSS")
    parser.add_argument("--progress", type=float, default=30.0, help="print the tree RSS every N s (0: never)")
    parser.add_argument("--verbose", action="store_true", help="echo the CLI's log lines")
    parser.add_argument("--json", action="store_true", help="also print every figure as one JSON object")
    args = parser.parse_args(argv)

    fig = Figures(rows=args.rows)
    if args.generate_only:
        target = Path(args.generate_only)
        sys.path.insert(0, str(PROJECT / "include"))
        from optline.samples import write_bulk_csv

        started = time.perf_counter()
        write_bulk_csv(target, args.rows, seed=args.seed, duplicate_share=args.duplicate_share)
        print(f"{target}: {target.stat().st_size / 1e6:,.1f} MB, {args.rows:,} rows, "
              f"{time.perf_counter() - started:.1f} s")
        return 0
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="optline-big-"))
    try:
        csv_path = prepare_input(workdir, args, fig)
        run_import(workdir, csv_path, args, fig)
    finally:
        if not args.workdir and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print_figures(fig)
    if args.json:
        print(json.dumps(asdict(fig)))
    return 0 if fig.exit_code == 0 and fig.killed_at_mib is None else 1


if __name__ == "__main__":
    sys.exit(main())
