"""Import engine benchmark: one generated CSV through the floor, the naive route and Optline, side by side.

Run it from the project root with the project's virtualenv:

    .venv/bin/python bench/import_engine.py                                  # 1,000,000 rows, every route
    .venv/bin/python bench/import_engine.py --rows 20000 --routes floor,optline
    .venv/bin/python bench/import_engine.py --rows 1000000,10000000 --json bench/results_import_engine/x.jsonl
    .venv/bin/python bench/import_engine.py --rows 1000000 --warehouse-contacts 5000000
    .venv/bin/python bench/import_engine.py --rows 1000000 --routes floor,optline --warehouse-contacts 53500000 \\
        --settle-load 1.2                                                   # the 1M-into-50M case
    .venv/bin/python bench/import_engine.py --source /tmp/snap_base          # another checkout's code

The machine is shared, so a wall-clock figure only means something next to its reference: every
route runs in the same invocation, on the same file, one after the other, each in a child process
whose whole process tree is sampled for RSS (every `--interval` seconds, summed over the tree as
`bench/big_file.py` does; for the floor and the naive route also the child's exact peak from
`wait4`), and killed above `--stop-above-mib`.

For each `--rows` size (a comma list) it writes `<workdir>/<rows>/input/bulk_contacts.csv` (+ its
manifest, as `optline.samples.write_manifest` writes it: default_country US, one list, a consent
source) with its own generator: the real-world mix of US/CA formats (`(312) 555-0112`,
`312-555-0112`, `3125550112`, `+1 312 555 0112`, `1-312-555-0112`, `+13125550112`,
`312.555.0112`), `--intl-share` valid international mobile numbers (`+44 7400 123456`-like, from
`phonenumbers.example_number_for_type`), `--invalid-share` invalid or short values and
`--duplicate-share` rows repeating an earlier number in another format. Deterministic (`--seed`).
Then the routes (`--routes`, default all four):

* floor    DuckDB `create table t as select * from read_csv(file, all_varchar=true)` in a fresh
           .duckdb file (DuckDB's defaults): the least any import of this file can cost here;
* naive    what a user writes in an afternoon: pandas `read_csv(dtype=str)`, `phonenumbers.parse`
           + `is_valid_number` + `format_number(E164)` per row, `drop_duplicates` on the E.164,
           then the frame into a fresh .duckdb file;
* optline  the real `optline -v import <file>` into a fresh warehouse (the default format unless
           OPTLINE_WAREHOUSE_FORMAT says otherwise), run by `bench/big_file.py`'s `run_import`
           (its env vars, its tree sampling, its steps from the log, `optline summary` after);
* redrop   the same file imported again into that warehouse (it must be skipped): the whole CLI
           process, then the skip measured in-process (a child that imports `optline`, connects,
           and times `pipeline.import_file` alone: the goal is < 1 s), and the CLI's start-up
           alone (`optline --help`, best of 3).

`--warehouse-contacts N` adds (e): the same batch imported into a warehouse already holding the
contacts of N generated rows (~94 % of N with the default shares). Nothing in bench/ prefills an
Optline warehouse faster than an import (the bench/backends scripts write their own tables, not
Optline's schema), so the prefill is generated files of `--prefill-chunk` rows (numbers disjoint
from each other's and from the batch's), imported one after the other with the CLI, as nightly
batches would be (timed and printed as `prefill`; minutes per million rows). The prefill runs
first, then (after `--settle-load`, a wait for the machine to calm down) the measured routes back
to back: the batch into an empty warehouse (the `optline` route, run for the purpose when not
selected), then into the big one. The ratio printed is batch-into-big / batch-into-empty.

Before the first size, `optline --help` runs once untimed (bytecode, page cache), so that no
route pays for the warm-up. The table at the end: route | rows | seconds | rows/s | peak RSS
MiB | x floor, per size. `--json FILE` appends one JSON line per route and size. The load
average is printed (and recorded) at the start of each size. It prints figures and never
asserts them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from big_file import FILE_NAME, MIB, Figures, kill_tree, run_import, tree_memory  # noqa: E402

PROJECT = Path(__file__).resolve().parents[1]
ROUTES = ("floor", "naive", "optline", "redrop")
HEADER = "phone,first_name,last_name,dob,opt_in_date,email\n"

# NANP numbers: every exchange 200-999 of these area codes is valid for phonenumbers (checked).
_AREA_CODES = ("212", "305", "312", "415", "512", "617", "702", "206", "405", "410", "860", "416", "604")
_CAPACITY = len(_AREA_CODES) * 800 * 10_000  # distinct numbers the generator can make (104M)
# The seven US/CA formats of real exports, as functions of (area, exchange, line).
_US_FORMATS = (
    lambda a, e, n: f"({a}) {e}-{n}",
    lambda a, e, n: f"{a}-{e}-{n}",
    lambda a, e, n: f"{a}{e}{n}",
    lambda a, e, n: f"+1 {a} {e} {n}",
    lambda a, e, n: f"1-{a}-{e}-{n}",
    lambda a, e, n: f"+1{a}{e}{n}",
    lambda a, e, n: f"{a}.{e}.{n}",
)
_INTL_REGIONS = ("GB", "DE", "AU", "IN", "ES", "FR")
_INTL_DIGITS = 6  # the last digits of the example mobile number that vary
_FIRST = ("Ann", "Bob", "Chloé", "Dev", "Eva", "Femi", "Gus", "Hana", "Ivan", "Jo", "Kai", "Lena", "Mo", "Nia")
_LAST = ("Lee", "Ng", "Okafor", "Smith", "García", "Kowalski", "Tanaka", "Brown", "Dubois", "Ivanova")


# --- the input file ----------------------------------------------------------------------------

def _intl_templates(seed: int) -> list[str]:
    """Per region, phonenumbers' example mobile number with its last digits as `{}` slots,
    formatted INTERNATIONAL (E.164 where that is longer than the 16 characters a phone field
    takes); a region is kept only if 50 random variants all parse as valid."""
    import phonenumbers as pn

    rng = random.Random(seed)
    templates = []
    for region in _INTL_REGIONS:
        example = pn.example_number_for_type(region, pn.PhoneNumberType.MOBILE)
        text = pn.format_number(example, pn.PhoneNumberFormat.INTERNATIONAL)
        if len(text) > 16:
            text = pn.format_number(example, pn.PhoneNumberFormat.E164)
        chars, left = list(text), _INTL_DIGITS
        for pos in range(len(chars) - 1, -1, -1):
            if left and chars[pos].isdigit():
                chars[pos], left = "{}", left - 1
        template = "".join(chars)

        def fill(value: int, template: str = template) -> str:
            return template.format(*f"{value:0{_INTL_DIGITS}d}")

        if all(pn.is_valid_number(pn.parse(fill(rng.randrange(10 ** _INTL_DIGITS)))) for _ in range(50)):
            templates.append(template)
    return templates


def write_mixed_csv(path: Path, rows: int, *, seed: int = 7, start: int = 0, as_of: dt.date | None = None,
                    duplicate_share: float = 0.02, invalid_share: float = 0.02, intl_share: float = 0.02,
                    list_name: str = "Import engine bench") -> dict[str, int]:
    """`rows` contact rows in mixed real-world phone formats, with a manifest beside it.

    Row i carries number `start + i` (numbers are distinct below 104M) unless it repeats an
    earlier row's number (`duplicate_share`, in a format of its own); `intl_share` of the rows are
    valid international mobiles, `invalid_share` invalid or short values. Returns the counts.
    """
    sys.path.insert(0, str(PROJECT / "include"))
    from optline.samples import write_manifest

    if start + rows > _CAPACITY:
        raise ValueError(f"start + rows must stay under {_CAPACITY:,} (distinct numbers)")
    as_of = as_of or dt.date.today()
    rng = random.Random(f"{seed}:{start}")
    intl = _intl_templates(seed)
    invalid = ("555-{:04d}", "{:05d}", "4.15555E+09", "n/a", "+1 312 {:04d}", "000-000-{:04d}", "{:07d}")
    opt_ins = [(as_of - dt.timedelta(days=d)).isoformat() for d in range(150)]  # within the 6 months
    dobs = [dt.date(1950 + k % 55, 1 + k % 12, 1 + k % 28).isoformat() for k in range(55 * 12 * 28)]
    names = [f"{f},{la}" for la in _LAST for f in _FIRST]
    counts = {"rows": rows, "us_ca": 0, "international": 0, "invalid": 0, "duplicates": 0}
    random_ = rng.random
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(HEADER)
        chunk: list[str] = []
        for i in range(rows):
            r = random_()
            if i and r < duplicate_share:
                n = start + int(random_() * i)
                counts["duplicates"] += 1
            else:
                n = start + i
            k = random_()
            if k < invalid_share:
                phone = invalid[n % len(invalid)].format(n % 10_000)
                counts["invalid"] += 1
            elif k < invalid_share + intl_share and intl:
                phone = intl[n % len(intl)].format(*f"{n % 10 ** _INTL_DIGITS:0{_INTL_DIGITS}d}")
                counts["international"] += 1
            else:
                area = _AREA_CODES[n % 13]
                q = n // 13
                phone = _US_FORMATS[int(k * 7919) % 7](area, 200 + q % 800, f"{(q // 800) % 10_000:04d}")
                counts["us_ca"] += 1
            chunk.append(f"{phone},{names[n % 140]},{dobs[n % 18480]},{opt_ins[n % 150]},user{n}@example.com\n")
            if len(chunk) >= 100_000:
                fh.writelines(chunk)
                chunk.clear()
        fh.writelines(chunk)
    write_manifest(path, {
        "lists": [list_name], "default_country": "US",
        "consent": {"source": "import engine benchmark", "method": "generated"},
    })
    return counts


# --- running a child ---------------------------------------------------------------------------

@dataclass
class Result:
    """One route at one size: what goes into the table and the JSON line."""
    route: str
    rows: int
    seconds: float | None = None
    peak_rss_mib: float | None = None
    exit_code: int | None = None
    note: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def rows_per_s(self) -> float | None:
        counts = self.route in ("floor", "naive", "optline", "prefill") or self.route.startswith("optline into")
        return self.rows / self.seconds if counts and self.seconds else None


FLOOR_CODE = """
import sys, duckdb
con = duckdb.connect(sys.argv[2])
con.execute("set enable_progress_bar = false")  # drawn on stdout otherwise
csv = sys.argv[1].replace("'", "''")
con.execute(f"create table t as select * from read_csv('{csv}', all_varchar=true)")
print(con.execute("select count(*) from t").fetchone()[0])
con.close()
"""

NAIVE_CODE = """
import json, sys, duckdb
try:
    import pandas as pd
except ImportError:
    pd = None
import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

def e164(value):
    try:
        number = phonenumbers.parse(value, "US")
    except NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)

if pd is not None:
    df = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)
    read = len(df)
    df["e164"] = df["phone"].map(e164)
    valid = int(df["e164"].notna().sum())
    df = df[df["e164"].notna()].drop_duplicates(subset="e164")
    con = duckdb.connect(sys.argv[2])
    con.execute("set enable_progress_bar = false")
    con.register("df", df)
    con.execute("create table contacts as select * from df")
else:  # no pandas: the csv module, a dict keyed by E.164 for the duplicates
    import csv
    with open(sys.argv[1], newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        seen, read, valid = {}, 0, 0
        for row in reader:
            read += 1
            row["e164"] = e164(row["phone"])
            if row["e164"]:
                valid += 1
                seen.setdefault(row["e164"], row)
    con = duckdb.connect(sys.argv[2])
    cols = [*reader.fieldnames, "e164"]
    con.execute("create table contacts (" + ", ".join(f'"{c}" varchar' for c in cols) + ")")
    con.executemany(f"insert into contacts values ({', '.join('?' * len(cols))})",
                    [[r[c] for c in cols] for r in seen.values()])
kept = con.execute("select count(*) from contacts").fetchone()[0]
con.close()
print(json.dumps({"engine": "pandas" if pd is not None else "csv module", "read": read, "valid": valid,
                  "kept": kept}))
"""

SKIP_CODE = """
import json, sys, time
started = time.perf_counter()
import datetime as dt
from pathlib import Path
from optline import warehouse
from optline.config import paths
from optline.contacts import pipeline
from optline.runs import RunContext
imported = time.perf_counter()
conn = warehouse.connect()
connected = time.perf_counter()
summary = pipeline.import_file(conn, Path(sys.argv[1]), RunContext(as_of=dt.datetime.now(dt.UTC), dag_id="cli"),
                               paths().reports)
skipped = time.perf_counter()
conn.close()
closed = time.perf_counter()
print(json.dumps({"import_modules_s": imported - started, "connect_s": connected - imported,
                  "import_file_s": skipped - connected, "close_s": closed - skipped, "status": summary.status,
                  "batch_id": summary.batch_id}))
"""


def run_child(argv: list[str], args: argparse.Namespace, env: dict[str, str] | None = None,
              cwd: Path | None = None) -> tuple[float, float, int, str, str]:
    """Run `argv`, sampling its process tree's RSS; (seconds, peak RSS MiB, exit code, stdout, stderr).

    The peak is the larger of the sampled tree sum and the child's own exact peak (wait4's
    ru_maxrss), so a child that lives less than one interval is still measured.
    """
    out = tempfile.TemporaryFile("w+")
    err = tempfile.TemporaryFile("w+")
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=err, text=True)
    root = psutil.Process(proc.pid)
    peak = 0.0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        rss, _, _ = tree_memory(root, False)
        peak = max(peak, rss / MIB)
        if peak > args.stop_above_mib:
            print(f"  tree RSS {peak:,.0f} MiB > --stop-above-mib {args.stop_above_mib}: killing it", flush=True)
            kill_tree(root)
        time.sleep(min(args.interval, 0.1))
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    peak = max(peak, usage.ru_maxrss / 1024)
    out.seek(0)
    err.seek(0)
    return seconds, peak, proc.returncode, out.read(), err.read()


def optline_env(workdir: Path, args: argparse.Namespace) -> dict[str, str]:
    """The environment `big_file.run_import` gives the CLI (for the children it does not run)."""
    env = dict(os.environ)
    env.update(OPTLINE_DATA_DIR=str(workdir), OPTLINE_INBOX=str(workdir / "inbox"),
               OPTLINE_WAREHOUSE=str(workdir / "warehouse.duckdb"), OPTLINE_REPORTS=str(workdir / "reports"))
    if args.source:
        env["PYTHONPATH"] = str(Path(args.source).resolve() / "include")
    return env


def warehouse_kind(workdir: Path) -> str:
    try:
        head = (workdir / "warehouse.duckdb").read_bytes()[:16]
    except OSError:
        return "none"
    return "ducklake (SQLite catalog)" if head.startswith(b"SQLite format 3") else "duckdb file"


def summary_counts(summary: str) -> dict[str, int]:
    """The numbers of the bulk file's line of `optline summary` (batch read loaded new merged ...)."""
    for line in summary.splitlines():
        if line.startswith(FILE_NAME):
            tail = line.split()[-8:]
            if all(t.isdigit() for t in tail):
                return dict(zip(("batch", "read", "loaded", "new", "merged", "dupes", "rejected", "warned"),
                                map(int, tail)))
    return {}


def link_input(csv_path: Path, workdir: Path) -> Path:
    """The input file (and its manifest) in `workdir/inbox`, hard-linked when possible."""
    inbox = workdir / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    for source in (csv_path, csv_path.with_name(f"{csv_path.name.split('.')[0]}.manifest.yaml")):
        target = inbox / source.name
        target.unlink(missing_ok=True)
        try:
            os.link(source, target)
        except OSError:
            shutil.copy(source, target)
    return inbox / csv_path.name


def cli_import(workdir: Path, csv_path: Path, rows: int, args: argparse.Namespace, route: str) -> Result:
    fig = Figures(rows=rows)
    run_import(workdir, csv_path, args, fig)
    result = Result(route, rows, fig.import_s, fig.peak_rss_mib, fig.exit_code)
    result.details = {"final_status": fig.final_status, "step_s": fig.step_s,
                      "step_peak_rss_mib": fig.step_peak_rss_mib, "peak_processes": fig.peak_processes,
                      "killed_at_mib": fig.killed_at_mib, "warehouse": warehouse_kind(workdir),
                      **summary_counts(fig.summary)}
    result.note = fig.final_status
    result.details["log_tail"] = fig.stderr_tail
    return result


# --- the routes --------------------------------------------------------------------------------

def route_floor(csv_path: Path, rows: int, base: Path, args: argparse.Namespace) -> Result:
    db = base / "floor.duckdb"
    seconds, peak, code, out, err = run_child([sys.executable, "-c", FLOOR_CODE, str(csv_path), str(db)], args)
    result = Result("floor", rows, seconds, peak, code, note=f"{out.strip()} rows in t")
    result.details = {"rows_in_table": int(out) if out.strip().isdigit() else None,
                      "db_mb": round(db.stat().st_size / 1e6, 1) if db.exists() else None}
    if code:
        result.details["stderr_tail"] = err.splitlines()[-10:]
        result.note = "killed above --stop-above-mib" if code == -9 else "failed"
    return result


def route_naive(csv_path: Path, rows: int, base: Path, args: argparse.Namespace) -> Result:
    db = base / "naive.duckdb"
    seconds, peak, code, out, err = run_child([sys.executable, "-c", NAIVE_CODE, str(csv_path), str(db)], args)
    result = Result("naive", rows, seconds, peak, code)
    try:
        result.details = json.loads(out.strip().splitlines()[-1])
        result.note = (f"{result.details['engine']}: {result.details['valid']:,} valid, "
                       f"{result.details['kept']:,} kept")
    except (IndexError, ValueError):
        result.details = {"stderr_tail": err.splitlines()[-10:]}
        result.note = "killed above --stop-above-mib" if code == -9 else "failed"
    return result


def route_redrop(csv_path: Path, rows: int, workdir: Path, args: argparse.Namespace) -> list[Result]:
    """The same file again into the same warehouse: the CLI process, the skip in-process, the
    CLI's start-up alone."""
    process = cli_import(workdir, csv_path, rows, args, "redrop")
    for key in ("batch", "read", "loaded", "new", "merged", "dupes", "rejected", "warned"):
        process.details.pop(key, None)  # `optline summary`'s figures are the first import's
    skipped = next((line for line in process.details.pop("log_tail") if "already imported as batch" in line), None)
    process.details["skipped"] = skipped is not None
    process.note = ("whole CLI process (start-up + connect + skip): "
                    + (skipped.split(": ", 1)[-1] if skipped else "NOT skipped (no 'already imported' log line)"))
    env = optline_env(workdir, args)
    seconds, peak, code, out, err = run_child([sys.executable, "-c", SKIP_CODE, str(csv_path)], args, env, workdir)
    skip = Result("redrop: skip", rows, None, peak, code)
    try:
        skip.details = json.loads(out.strip().splitlines()[-1])
        skip.seconds = skip.details["import_file_s"]
        skip.note = (f"pipeline.import_file in-process: {skip.details['status']}; connect "
                     f"{skip.details['connect_s']:.2f} s, imports {skip.details['import_modules_s']:.2f} s")
    except (IndexError, ValueError, KeyError):
        skip.details = {"stderr_tail": err.splitlines()[-10:]}
        skip.note = "failed"
    skip.details["child_s"] = round(seconds, 3)
    helps = []
    cli = [sys.executable, "-c", "import sys; from optline.cli import main; sys.exit(main())", "--help"]
    for _ in range(3):
        s, p, _, _, _ = run_child(cli, args, env, workdir)
        helps.append((s, p))
    start = Result("cli start-up", rows, min(s for s, _ in helps), max(p for _, p in helps), 0,
                   note="`optline --help`, best of 3")
    start.details = {"runs_s": [round(s, 3) for s, _ in helps]}
    return [process, skip, start]


def run_prefill(big_dir: Path, prefill_dir: Path, args: argparse.Namespace) -> Result:
    """Fill `big_dir`'s warehouse with `--warehouse-contacts` generated rows, `--prefill-chunk` rows per file.

    Each chunk is its own file with numbers disjoint from every other chunk's and from the batch's,
    imported by the CLI in turn (as nightly batches would be). One Result for the whole prefill:
    seconds summed, the peak the largest of the chunks', the contacts the sum of their new ones.
    """
    n, chunk = args.warehouse_contacts, args.prefill_chunk
    total = Result("prefill", n, 0.0, 0.0, 0)
    contacts, notes, steps = 0, [], []
    for index, start in enumerate(range(0, n, chunk)):
        size = min(chunk, n - start)
        path = prefill_dir / FILE_NAME
        started = time.perf_counter()
        write_mixed_csv(path, size, seed=args.seed, start=max(args.rows) + start, list_name="Prefill",
                        duplicate_share=args.duplicate_share, invalid_share=args.invalid_share,
                        intl_share=args.intl_share)
        written = time.perf_counter() - started
        part = cli_import(big_dir, link_input(path, big_dir), size, args, "prefill")
        path.unlink()
        new = part.details.get("new", 0)
        contacts += new
        total.seconds = (total.seconds or 0.0) + (part.seconds or 0.0)
        total.peak_rss_mib = max(total.peak_rss_mib or 0.0, part.peak_rss_mib or 0.0)
        total.exit_code = part.exit_code or total.exit_code
        notes.append(part.note)
        steps.append({"rows": size, "seconds": part.seconds, "peak_rss_mib": part.peak_rss_mib,
                      "new": new, "step_s": part.details.get("step_s"), "status": part.note})
        print(f"  prefill {index + 1}: {size:,} rows (written in {written:.1f} s) imported in "
              f"{part.seconds or 0:.1f} s, peak {part.peak_rss_mib or 0:,.0f} MiB, {new:,} new contacts "
              f"({contacts:,} in all), {part.note}", flush=True)
        if part.exit_code:
            break
    total.details = {"warehouse_contacts": contacts, "chunks": steps, "warehouse": warehouse_kind(big_dir)}
    total.note = f"{contacts:,} contacts in {len(steps)} files: {', '.join(sorted(set(notes)))}"
    return total


def settle(args: argparse.Namespace) -> None:
    """Wait (at most `--settle-timeout` s) for the 1-minute load average to fall to `--settle-load`."""
    if not args.settle_load:
        return
    started = time.perf_counter()
    while os.getloadavg()[0] > args.settle_load and time.perf_counter() - started < args.settle_timeout:
        time.sleep(5)
    print(f"  settled {time.perf_counter() - started:.0f} s: load average {os.getloadavg()[0]:.2f} "
          f"(--settle-load {args.settle_load})", flush=True)


def run_size(rows: int, args: argparse.Namespace, root: Path, routes: list[str]) -> list[Result]:
    base = root / str(rows)
    input_dir = base / "input"
    load = os.getloadavg()
    print(f"\n=== {rows:,} rows (load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}) ===", flush=True)
    started = time.perf_counter()
    csv_path = input_dir / FILE_NAME
    counts = write_mixed_csv(csv_path, rows, seed=args.seed, duplicate_share=args.duplicate_share,
                             invalid_share=args.invalid_share, intl_share=args.intl_share)
    gen_s = time.perf_counter() - started
    file_mb = csv_path.stat().st_size / 1e6
    print(f"generated {csv_path} ({file_mb:,.1f} MB) in {gen_s:.1f} s: " + ", ".join(
        f"{k} {v:,}" for k, v in counts.items()), flush=True)
    common = {"file_mb": round(file_mb, 1), "generate_s": round(gen_s, 2), "mix": counts,
              "load_average_start": [round(x, 2) for x in load]}
    results: list[Result] = []

    def record(result: Result) -> None:
        result.details = {**common, "load_average_before": round(os.getloadavg()[0], 2), **result.details}
        results.append(result)
        secs = f"{result.seconds:.2f} s" if result.seconds is not None else "-"
        print(f"  {result.route:<22} {secs:>10}  peak {result.peak_rss_mib or 0:,.0f} MiB  exit "
              f"{result.exit_code}  {result.note}", flush=True)

    big_dir = base / "bigwarehouse"
    if args.warehouse_contacts:  # first, so that the measured routes run back to back after it
        prefill = run_prefill(big_dir, base / "prefill", args)
        record(prefill)
        settle(args)
    if "floor" in routes:
        record(route_floor(csv_path, rows, base, args))
    if "naive" in routes:
        record(route_naive(csv_path, rows, base, args))
    optline_dir = base / "optline"
    need_empty = "optline" in routes or "redrop" in routes or args.warehouse_contacts
    if need_empty:
        result = cli_import(optline_dir, link_input(csv_path, optline_dir), rows, args, "optline")
        if "optline" not in routes:
            result.note += " (run for redrop / --warehouse-contacts)"
        record(result)
    if args.warehouse_contacts:
        contacts = prefill.details.get("warehouse_contacts", 0)
        big = cli_import(big_dir, link_input(csv_path, big_dir), rows, args, f"optline into {contacts:,} contacts")
        empty = next(r for r in results if r.route == "optline")
        if big.seconds and empty.seconds:
            big.details["ratio_to_empty"] = round(big.seconds / empty.seconds, 3)
            big.note = f"{big.note}; x{big.seconds / empty.seconds:.2f} the same batch into an empty warehouse"
        big.details["warehouse_contacts"] = contacts
        record(big)
    if "redrop" in routes:
        for result in route_redrop(optline_dir / "inbox" / FILE_NAME, rows, optline_dir, args):
            record(result)
    floor = next((r for r in results if r.route == "floor"), None)
    for result in results:
        if floor and floor.seconds and result.seconds is not None and result.route != "prefill":
            result.details["x_floor"] = round(result.seconds / floor.seconds, 2)
    return results


# --- output ------------------------------------------------------------------------------------

def format_table(results: list[Result]) -> str:
    head = ("route", "rows", "seconds", "rows/s", "peak RSS MiB", "x floor")
    body = []
    for r in results:
        body.append((r.route, f"{r.rows:,}", f"{r.seconds:,.2f}" if r.seconds is not None else "-",
                     f"{r.rows_per_s:,.0f}" if r.rows_per_s else "-",
                     f"{r.peak_rss_mib:,.0f}" if r.peak_rss_mib is not None else "-",
                     f"{r.details['x_floor']:,.1f}" if "x_floor" in r.details else "-"))
    widths = [max(len(row[i]) for row in (head, *body)) for i in range(len(head))]
    lines = [" | ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
             for row in (head, *body)]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def run_note(args: argparse.Namespace) -> dict[str, Any]:
    import duckdb
    import phonenumbers

    try:
        pandas = __import__("pandas").__version__
    except ImportError:
        pandas = None
    head = subprocess.run(["git", "-C", str(PROJECT), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    return {"date": dt.datetime.now().astimezone().isoformat(timespec="seconds"), "project_head": head,
            "source": str(Path(args.source).resolve()) if args.source else str(PROJECT),
            "cores": os.cpu_count(), "python": sys.version.split()[0], "duckdb": duckdb.__version__,
            "pandas": pandas, "phonenumbers": phonenumbers.__version__,
            "warehouse_format_env": os.environ.get("OPTLINE_WAREHOUSE_FORMAT")}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    class Formatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
        pass

    parser = argparse.ArgumentParser(prog="import_engine.py", description=__doc__, formatter_class=Formatter,
                                     epilog="Figures and how to read them: bench/README.md, \"Import engine\".")
    parser.add_argument("--rows", default="1000000", help="rows to generate, a comma list for several sizes")
    parser.add_argument("--routes", default=",".join(ROUTES), help=f"comma list of {', '.join(ROUTES)}")
    parser.add_argument("--warehouse-contacts", type=int, default=0, metavar="N",
                        help="also import the batch into a warehouse prefilled (by the CLI) with N rows' contacts")
    parser.add_argument("--prefill-chunk", type=int, default=10_000_000, metavar="ROWS",
                        help="rows per prefill file (each imported by the CLI in turn)")
    parser.add_argument("--settle-load", type=float, default=0.0, metavar="LOAD",
                        help="after the prefill, wait for the 1-minute load average to fall to LOAD (0: no wait)")
    parser.add_argument("--settle-timeout", type=float, default=1200.0, metavar="S",
                        help="the longest wait for --settle-load")
    parser.add_argument("--source", help="run Optline from this checkout (its include/ first on PYTHONPATH)")
    parser.add_argument("--workdir", help="work dir (default: a fresh temp dir, removed afterwards)")
    parser.add_argument("--keep", action="store_true", help="keep the temp work dir")
    parser.add_argument("--json", metavar="FILE", help="append one JSON line per route and size to FILE")
    parser.add_argument("--seed", type=int, default=7, help="seed of the generated file")
    parser.add_argument("--duplicate-share", type=float, default=0.02, help="rows repeating an earlier number")
    parser.add_argument("--invalid-share", type=float, default=0.02, help="rows with an invalid or short value")
    parser.add_argument("--intl-share", type=float, default=0.02, help="rows with a valid non-US/CA mobile")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between memory samples of the CLI")
    parser.add_argument("--stop-above-mib", type=int, default=8192, help="kill a route above this tree RSS")
    parser.add_argument("--verbose", action="store_true", help="echo the CLI's log lines")
    args = parser.parse_args(argv)
    try:
        args.rows = [int(r.replace("_", "")) for r in args.rows.split(",") if r.strip()]
    except ValueError:
        parser.error("--rows takes integers, comma-separated")
    if not args.rows or min(args.rows) < 1:
        parser.error("--rows must be at least 1")
    args.routes = [r.strip() for r in args.routes.split(",") if r.strip()]
    unknown = set(args.routes) - set(ROUTES)
    if unknown:
        parser.error(f"unknown routes: {', '.join(sorted(unknown))} (known: {', '.join(ROUTES)})")
    if args.source and not (Path(args.source) / "include" / "optline").is_dir():
        parser.error(f"--source {args.source}: no include/optline there")
    # what big_file.run_import reads from its args
    args.pss, args.progress, args.csv = False, 0, None
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # one HMAC key for the whole run: run_import only sets one when none is set, and the prefill,
    # the batch and the re-drop must share their warehouse's key
    os.environ.setdefault("OPTLINE_HMAC_KEY", secrets.token_hex(32))
    note = run_note(args)
    root = Path(args.workdir).resolve() if args.workdir else Path(tempfile.mkdtemp(prefix="optline-engine-"))
    root.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    print(f"{note['date']}  load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}  {note['cores']} cores  "
          f"source {note['source']} (project HEAD {note['project_head']})  work dir {root}", flush=True)
    # the steady state a user's machine is in: bytecode kept, where the Makefile keeps it (a shell
    # with PYTHONDONTWRITEBYTECODE=1 made every import compile Great Expectations from source
    # again, ~5 s of the validate step)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ.setdefault("PYTHONPYCACHEPREFIX", str(PROJECT / ".venv" / "pycache"))
    # warm up once (bytecode of the CLI and of Great Expectations, page cache) so that no route
    # pays for it
    warm = SimpleNamespace(interval=0.1, stop_above_mib=args.stop_above_mib)
    run_child([sys.executable, "-c", "import sys; from optline.cli import main; sys.exit(main())", "--help"],
              warm, optline_env(root, args), root)
    run_child([sys.executable, "-c", "import optline.quality.gx_duckdb"], warm, optline_env(root, args), root)
    results: list[Result] = []
    try:
        for rows in args.rows:
            size_results = run_size(rows, args, root, args.routes)
            results += size_results
            if args.json:
                with open(args.json, "a", encoding="utf-8") as fh:
                    for r in size_results:
                        fh.write(json.dumps({**note, "route": r.route, "rows": r.rows, "seconds": r.seconds,
                                             "rows_per_s": r.rows_per_s, "peak_rss_mib": r.peak_rss_mib,
                                             "x_floor": r.details.get("x_floor"), "exit_code": r.exit_code,
                                             "note": r.note, "details": r.details}, ensure_ascii=False) + "\n")
    finally:
        if not args.workdir and not args.keep:
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"work dir kept: {root}", file=sys.stderr)
    print(f"\nload average at the start {load[0]:.2f}; at the end {os.getloadavg()[0]:.2f}\n")
    print(format_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
