"""Import benchmark: generate N contact rows, import them the way the pipeline does, print figures.

Run it from the project root with the project's virtualenv:

    .venv/bin/python bench/import_bench.py --rows 100000
    make bench ROWS=1000000        # runs .venv/bin/python bench/import_bench.py --rows $(ROWS)

What it does, all inside a work directory (a fresh temp dir unless --workdir; removed afterwards
unless --keep):

1. writes `<workdir>/inbox/bulk_contacts.csv` (+ its manifest) with
   `optline.samples.write_bulk_csv` -- timed on its own, not counted in the import figures;
2. opens a fresh DuckDB warehouse `<workdir>/warehouse.duckdb` (`optline.warehouse.connect`,
   which also applies the schema) and runs the pipeline's three steps one by one, each timed:
   `pipeline.stage` (read + decode + stage the rows), `pipeline.check` (phone normalization
   over the distinct values -- a process pool when there are many -- then the row rules, and
   the rejects CSV) and `pipeline.merge` (merge into core + the batch summary);
3. closes the warehouse (DuckDB checkpoints on close; timed separately) and imports the same
   file again with `pipeline.import_file` on a new connection: it must be skipped as already
   imported, which shows that re-runs are cheap.

It prints figures and never asserts timings. Besides wall-clock seconds it prints the CPU
seconds of each phase (this process, all threads, and the child processes it reaped) and the
load average before the import: on a shared machine the wall clock inflates, CPU seconds barely
move. Peak memory comes from `resource.getrusage(...).ru_maxrss` (KiB on Linux) for this
process (RUSAGE_SELF) and for its reaped child processes (RUSAGE_CHILDREN: the phone-parsing
workers). Per-phase peaks are read
from /proc/self/status (VmHWM, reset before each phase via /proc/self/clear_refs) when the
kernel allows it.

`--sql-timings` also reports the seconds spent in each named SQL file (by wrapping
`optline.warehouse.run` for this process only); `--profile FILE` runs the import under
cProfile (slower: use it to find a hot spot, not for the figures).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import functools
import io
import json
import os
import platform
import pstats
import resource
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

FILE_NAME = "bulk_contacts.csv"


@dataclass
class Figures:
    """Everything the benchmark measured; printed as text and, with --json, as one object."""
    rows: int
    seed: int
    file_mb: float = 0.0
    generate_s: float = 0.0
    connect_s: float = 0.0
    stage_s: float = 0.0
    check_s: float = 0.0
    validate_s: float = 0.0
    merge_s: float = 0.0
    import_s: float = 0.0
    rows_per_s: float = 0.0
    close_s: float = 0.0
    rerun_connect_s: float = 0.0
    rerun_import_s: float = 0.0
    rerun_status: str = ""
    warehouse_mb: float = 0.0
    peak_rss_self_mib: float = 0.0
    peak_rss_children_mib: float = 0.0
    phase_peak_rss_mib: dict[str, float] = field(default_factory=dict)
    phase_cpu_s: dict[str, dict[str, float]] = field(default_factory=dict)
    load_average_before: float = 0.0
    batch_id: int | None = None
    status: str = ""
    lines_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_warned: int = 0
    duplicates_removed: int = 0
    new_contacts: int = 0
    merged_contacts: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    sql_seconds: dict[str, float] = field(default_factory=dict)
    machine: dict[str, Any] = field(default_factory=dict)
    workdir: str = ""


# --- measuring -------------------------------------------------------------------------------

def timed(fn: Callable[[], T]) -> tuple[T, float]:
    """Run `fn` and return its result and the wall-clock seconds it took."""
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def _maxrss_mib(who: int) -> float:
    """Peak resident set size from getrusage, KiB on Linux (bytes on macOS), in MiB."""
    peak = resource.getrusage(who).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _reset_peak_rss() -> bool:
    """Reset this process's VmHWM (Linux >= 4.0). False when not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _vm_hwm_mib() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _cpu_s(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def phase_peak(figures: Figures, name: str) -> Iterator[None]:
    """Record the peak RSS and the CPU seconds of the block.

    Peak RSS of this process comes from VmHWM, reset before the block (when /proc allows it).
    Resetting VmHWM also resets what getrusage reports as ru_maxrss, so the peak so far is
    folded into `figures.peak_rss_self_mib` before each reset. CPU seconds (user + system)
    count all of this process's threads (DuckDB's too) and the child processes reaped during
    the block; unlike wall-clock seconds they barely move when other work shares the cores.
    """
    figures.peak_rss_self_mib = max(figures.peak_rss_self_mib, _maxrss_mib(resource.RUSAGE_SELF))
    resettable = _reset_peak_rss()
    cpu_self, cpu_children = _cpu_s(resource.RUSAGE_SELF), _cpu_s(resource.RUSAGE_CHILDREN)
    try:
        yield
    finally:
        figures.phase_cpu_s[name] = {"self": _cpu_s(resource.RUSAGE_SELF) - cpu_self,
                                     "children": _cpu_s(resource.RUSAGE_CHILDREN) - cpu_children}
        peak = _vm_hwm_mib() if resettable else None
        if peak is not None:
            figures.phase_peak_rss_mib[name] = round(peak, 1)
            figures.peak_rss_self_mib = max(figures.peak_rss_self_mib, peak)


def time_sql_files(seconds: dict[str, float], runs: dict[str, int] | None = None) -> None:
    """Wrap `optline.warehouse.run` so each named SQL file adds its seconds to `seconds` (and
    counts its runs in `runs`, when given).

    The library calls `warehouse.run(...)` through the module, so replacing the attribute is
    enough. DuckDB runs the whole statement inside `execute`, so the time is the statement's.
    """
    from optline import warehouse

    original = warehouse.run

    @functools.wraps(original)
    def run(conn: Any, name: str, /, **params: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(conn, name, **params)
        finally:
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started
            if runs is not None:
                runs[name] = runs.get(name, 0) + 1

    warehouse.run = run  # type: ignore[assignment]


def machine_note() -> dict[str, Any]:
    import duckdb
    import phonenumbers
    import pyarrow

    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "cores": os.cpu_count(), "usable_cores": usable,
        "python": platform.python_version(), "duckdb": duckdb.__version__,
        "pyarrow": pyarrow.__version__, "phonenumbers": phonenumbers.__version__,
        # os.uname, not platform.platform(): that forks `uname -p`, and a forked child's
        # ru_maxrss starts at this process's RSS, which would pollute RUSAGE_CHILDREN.
        "platform": f"{os.uname().sysname} {os.uname().release} {os.uname().machine}",
    }


# --- the benchmark -----------------------------------------------------------------------------

def point_optline_at(workdir: Path) -> None:
    """Make every Optline location default into the work dir (config reads env at call time)."""
    os.environ["OPTLINE_DATA_DIR"] = str(workdir)
    os.environ["OPTLINE_INBOX"] = str(workdir / "inbox")
    os.environ["OPTLINE_WAREHOUSE"] = str(workdir / "warehouse.duckdb")
    os.environ["OPTLINE_REPORTS"] = str(workdir / "reports")
    # a throwaway key for the consent ledger's number HMACs, unless one is configured
    os.environ.setdefault("OPTLINE_HMAC_KEY", secrets.token_hex(32))


def generate(figures: Figures, workdir: Path) -> Path:
    from optline.samples import write_bulk_csv

    path = workdir / "inbox" / FILE_NAME
    _, figures.generate_s = timed(lambda: write_bulk_csv(path, figures.rows, seed=figures.seed))
    figures.file_mb = path.stat().st_size / 1e6
    return path


def first_import(figures: Figures, path: Path, workdir: Path) -> None:
    """Stage, check and merge `path` into a fresh warehouse, timing each step."""
    from optline import warehouse
    from optline.contacts import pipeline
    from optline.runs import RunContext

    reports_dir = workdir / "reports"
    db_path = workdir / "warehouse.duckdb"
    run = RunContext(as_of=dt.datetime.now(dt.UTC), dag_id="import_bench", run_id="bench-1")

    with phase_peak(figures, "connect"):
        conn, figures.connect_s = timed(lambda: warehouse.connect(db_path))
    try:
        with phase_peak(figures, "stage"):
            staged, figures.stage_s = timed(lambda: pipeline.stage(conn, path, run))
        if staged.already_imported:
            raise RuntimeError(f"{path} is already imported in a fresh warehouse: the workdir is not fresh")

        def batch():  # each step loads the batch, as each Airflow task does
            return pipeline.load_batch(conn, staged.batch_id)

        with phase_peak(figures, "check"):
            _, figures.check_s = timed(lambda: pipeline.check(conn, batch(), reports_dir))
        with phase_peak(figures, "validate"):
            verdict, figures.validate_s = timed(lambda: pipeline.validate(conn, batch(), reports_dir))
        if verdict.decision != "validated":
            raise RuntimeError(f"the gate did not pass the generated batch: {verdict.decision} ({verdict.reason})")
        with phase_peak(figures, "merge"):
            summary, figures.merge_s = timed(lambda: pipeline.merge(conn, batch(), reports_dir))
    finally:
        with phase_peak(figures, "close"):
            _, figures.close_s = timed(conn.close)

    figures.import_s = figures.stage_s + figures.check_s + figures.validate_s + figures.merge_s
    figures.rows_per_s = figures.rows / figures.import_s if figures.import_s else 0.0
    figures.batch_id = summary.batch_id
    figures.status = summary.status
    figures.lines_read = summary.lines_read
    figures.rows_loaded = summary.rows_loaded
    figures.rows_rejected = summary.rows_rejected
    figures.rows_warned = summary.rows_warned
    figures.duplicates_removed = summary.duplicates_removed
    figures.new_contacts = summary.new_contacts
    figures.merged_contacts = summary.merged_contacts
    figures.rejected_by_reason = summary.rejected_by_reason


def second_import(figures: Figures, path: Path, workdir: Path) -> None:
    """Import the same file again, as a later run would: it must be skipped as already imported."""
    from optline import warehouse
    from optline.contacts import pipeline
    from optline.runs import RunContext

    run = RunContext(as_of=dt.datetime.now(dt.UTC), dag_id="import_bench", run_id="bench-2")
    with phase_peak(figures, "rerun"):
        conn, figures.rerun_connect_s = timed(lambda: warehouse.connect(workdir / "warehouse.duckdb"))
        try:
            summary, figures.rerun_import_s = timed(
                lambda: pipeline.import_file(conn, path, run, workdir / "reports"))
        finally:
            conn.close()
    figures.rerun_status = summary.status


def warehouse_size_mb(workdir: Path) -> float:
    files = [workdir / "warehouse.duckdb", workdir / "warehouse.duckdb.wal"]
    return sum(f.stat().st_size for f in files if f.exists()) / 1e6


def run_benchmark(args: argparse.Namespace, workdir: Path) -> Figures:
    point_optline_at(workdir)
    figures = Figures(rows=args.rows, seed=args.seed, workdir=str(workdir), machine=machine_note())
    if args.sql_timings:
        time_sql_files(figures.sql_seconds)

    path = generate(figures, workdir)
    figures.load_average_before = os.getloadavg()[0]
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    try:
        first_import(figures, path, workdir)
    finally:
        if profiler:
            profiler.disable()
            profiler.dump_stats(args.profile)
    figures.warehouse_mb = warehouse_size_mb(workdir)
    second_import(figures, path, workdir)

    figures.peak_rss_self_mib = max(figures.peak_rss_self_mib, _maxrss_mib(resource.RUSAGE_SELF))
    figures.peak_rss_children_mib = _maxrss_mib(resource.RUSAGE_CHILDREN)
    if profiler:
        out = io.StringIO()
        pstats.Stats(args.profile, stream=out).sort_stats("cumulative").print_stats(args.profile_top)
        print(out.getvalue(), file=sys.stderr)
    return figures


# --- output ------------------------------------------------------------------------------------

def format_figures(f: Figures) -> str:
    m = f.machine
    pct = (lambda s: f"{100 * s / f.import_s:5.1f} %") if f.import_s else (lambda s: "")

    def cpu(phase: str) -> str:
        c = f.phase_cpu_s.get(phase)
        return f"cpu {c['self']:7.2f} s + children {c['children']:6.2f} s" if c else ""

    lines = [
        f"machine: {m['cores']} cores ({m['usable_cores']} usable), Python {m['python']}, "
        f"DuckDB {m['duckdb']}, pyarrow {m['pyarrow']}, phonenumbers {m['phonenumbers']}, {m['platform']}",
        f"load average before the import: {f.load_average_before:.2f}"
        + ("  (other work is using the cores: wall-clock figures are inflated; see cpu seconds)"
           if f.load_average_before > 0.5 else ""),
        f"rows: {f.rows:,}   file: {f.file_mb:.1f} MB   generated in {f.generate_s:.2f} s (not counted)",
        "",
        f"  connect + schema  {f.connect_s:8.2f} s   (not counted)",
        f"  stage             {f.stage_s:8.2f} s   {pct(f.stage_s)}   {cpu('stage')}   (read, decode, stage rows)",
        f"  check             {f.check_s:8.2f} s   {pct(f.check_s)}   {cpu('check')}"
        "   (phones, row rules, rejects CSV)",
        f"  validate          {f.validate_s:8.2f} s   {pct(f.validate_s)}   {cpu('validate')}"
        "   (GX suite in DuckDB, gate, report)",
        f"  merge             {f.merge_s:8.2f} s   {pct(f.merge_s)}   {cpu('merge')}   (merge into core, summary)",
        f"  import total      {f.import_s:8.2f} s   {f.rows_per_s:,.0f} rows/s",
        f"  close/checkpoint  {f.close_s:8.2f} s   (not counted)",
        f"  re-run (skipped)  {f.rerun_import_s:8.2f} s   + connect {f.rerun_connect_s:.2f} s   "
        f"status: {f.rerun_status}",
        "",
        f"peak RSS: this process {f.peak_rss_self_mib:,.0f} MiB, child processes {f.peak_rss_children_mib:,.0f} MiB"
        " (largest single child: 0 when no pool ran; workers are forked, so this counts pages shared with"
        " this process)",
    ]
    if f.phase_peak_rss_mib:
        lines.append("peak RSS by phase (this process): " + ", ".join(
            f"{k} {v:,.0f} MiB" for k, v in f.phase_peak_rss_mib.items()))
    lines += [
        f"warehouse: {f.warehouse_mb:.1f} MB after close",
        f"batch {f.batch_id}: {f.status}; lines read {f.lines_read:,}, loaded {f.rows_loaded:,}, "
        f"rejected {f.rows_rejected:,}, warned {f.rows_warned:,}, duplicates removed {f.duplicates_removed:,}, "
        f"new contacts {f.new_contacts:,}, merged contacts {f.merged_contacts:,}",
    ]
    if f.rejected_by_reason:
        lines.append("rejected by reason: " + ", ".join(f"{k} {v:,}" for k, v in f.rejected_by_reason.items()))
    if f.rerun_status != "already imported":
        lines.append(f"WARNING: the second import was not skipped (status {f.rerun_status!r})")
    if f.sql_seconds:
        lines += ["", "seconds per SQL file (slowest first):"]
        lines += [f"  {s:8.2f} s  sql/{name}.sql" for name, s in
                  sorted(f.sql_seconds.items(), key=lambda kv: -kv[1]) if s >= 0.005]
    return "\n".join(lines)


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="import_bench.py",
        description="Generate N contact rows as a CSV, import them into a fresh DuckDB warehouse "
                    "(stage -> check -> merge, each timed), import the file again (must be skipped), "
                    "and print per-phase seconds, rows/s and peak memory. Prints figures; asserts nothing.",
        epilog="Example: .venv/bin/python bench/import_bench.py --rows 1000000 --json  "
               "(or: make bench ROWS=1000000)",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--rows", type=int, default=100_000, help="contact rows to generate and import")
    parser.add_argument("--seed", type=int, default=7, help="random seed for write_bulk_csv (duplicates)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="work directory for the inbox, warehouse and reports; must not hold a "
                             "warehouse yet (default: a fresh temp dir)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the work directory afterwards (always kept when --workdir is given)")
    parser.add_argument("--json", action="store_true", help="also print all figures as one JSON object at the end")
    parser.add_argument("--sql-timings", action="store_true",
                        help="also print the seconds spent in each named SQL file")
    parser.add_argument("--profile", metavar="FILE", default=None,
                        help="run the import under cProfile, save the stats to FILE and print the top "
                             "functions to stderr. Slows the import; the forked phone-parsing workers "
                             "inherit the profiler (several times slower) but their stats are not saved")
    parser.add_argument("--profile-top", type=int, default=30, help="functions to print with --profile")
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    if args.workdir and (args.workdir / "warehouse.duckdb").exists():
        parser.error(f"{args.workdir} already holds a warehouse.duckdb: give a fresh --workdir")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.workdir:
        workdir = args.workdir.resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        remove = False
    else:
        workdir = Path(tempfile.mkdtemp(prefix="optline-bench-"))
        remove = not args.keep
    try:
        figures = run_benchmark(args, workdir)
    finally:
        if remove:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"work directory kept: {workdir}", file=sys.stderr)
    print(format_figures(figures))
    if args.json:
        print(json.dumps(_rounded(asdict(figures)), sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
