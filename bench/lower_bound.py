"""What an import of one file cannot go below: the floor beside the least work the warehouse must do.

Run it from the project root with the project's virtualenv:

    .venv/bin/python bench/lower_bound.py --rows 10000000               # generates the bench's file
    .venv/bin/python bench/lower_bound.py --csv /path/bulk_contacts.csv  # or reads one

Issue 13's first goal is a 10M-row `optline import` in at most 3x DuckDB's bare `read_csv` of
the file into a file (the floor). This script measures, one after the other on the same file,
the floor (import_engine's own floor route, a child process), a sketch that does strictly less than any import meeting
docs/warehouse.md must do, each step one plain DuckDB statement into a fresh Optline lake (the
default backend, made by `warehouse.connect`, its schema migrated before the clock starts),
then the floor again:

* staged rows   the file into a lake table as it is (no row or line numbers, no mapping);
* numbers       each distinct number once, "normalized" by keeping its digits (no metadata, no
                validity, no region, type or time zones) with the ledger's keyed HMAC-SHA256
                (the same SQL as sql/phones/parses_insert_decided.sql; docs/warehouse.md: the
                ledger names a number by it);
* contacts      one contact per row (no dedupe, no match against existing contacts);
* ledger        one opt-in event per row, naming its number by the HMAC (core.consent_events);
* memberships   one membership per contact in one list.

Left out, and each costs more on top: the row rules and their verdicts, the expectations, the
parses table, channels, the row-to-contact lineage, exact normalization, the merge's matching.
The sum of the sketch's steps against 3x the floor says whether the goal is within reach of
any design that keeps what docs/warehouse.md keeps. It prints figures and never asserts them.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

import duckdb

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(PROJECT / "include"))

from import_engine import route_floor, write_mixed_csv  # noqa: E402

# The sketch's steps, in order; every one reads what the one before wrote.
STEPS = (
    ("staged rows", "create table lower_bound.staged_rows as "
                    "select * from read_csv($csv, all_varchar = true)"),
    ("numbers", "create table lower_bound.numbers as "
                "select e164, sha256($outer::blob || unhex(sha256($inner::blob || encode(e164)))) as number_hmac "
                "from (select distinct '+' || regexp_replace(phone, '[^0-9]', '', 'g') as e164 "
                "from lower_bound.staged_rows where phone is not null)"),
    ("contacts", "create table lower_bound.contacts as "
                 "select row_number() over () as contact_id, '+' || regexp_replace(phone, '[^0-9]', '', 'g') as e164, "
                 "first_name, last_name, email, try_cast(dob as date) as dob "
                 "from lower_bound.staged_rows where phone is not null"),
    ("ledger", "create table lower_bound.consent_events as "
               "select contacts.contact_id as event_id, numbers.number_hmac, 'sms' as scope, 'opt_in' as kind, "
               "now() as effective_at, 'bench' as source, 'generated' as method, contacts.contact_id, "
               "1 as batch_id, now() as recorded_at "
               "from lower_bound.contacts as contacts inner join lower_bound.numbers as numbers "
               "on contacts.e164 = numbers.e164"),
    ("memberships", "create table lower_bound.memberships as "
                    "select 1 as list_id, contact_id, 'sms' as channel, 'pending' as status, now() as created_at "
                    "from lower_bound.contacts"),
)


def timed(conn: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object]) -> float:
    started = time.perf_counter()
    conn.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql})
    return time.perf_counter() - started


def measure(csv: Path, workdir: Path) -> list[tuple[str, float]]:
    """The floor, then the sketch's steps into a fresh lake in `workdir`: (label, seconds) each."""
    os.environ.setdefault("OPTLINE_HMAC_KEY", secrets.token_hex(32))  # a throw-away key, as the other benches use
    os.environ["OPTLINE_DATA_DIR"] = str(workdir)
    from optline import config, phones, warehouse

    # Untimed: the file read once (page cache), as import_engine's floor runs right after the
    # file is written.
    duckdb.connect().execute("select count(*) from read_csv($csv, all_varchar = true)", {"csv": str(csv)}).fetchone()
    figures = [("floor (read_csv into a .duckdb file)", floor_seconds(csv, workdir / "floor"))]
    inner, outer = phones.hmac_pads(config.hmac_key())
    conn = warehouse.connect(workdir / "warehouse.duckdb")  # schema made here, before any clock
    conn.execute("create schema lower_bound")
    params = {"csv": str(csv), "inner": inner, "outer": outer}
    for label, sql in STEPS:
        figures.append((label, timed(conn, sql, params)))
        print(f"  {label}: {figures[-1][1]:.2f} s", file=sys.stderr, flush=True)
    conn.close()
    figures.append(("floor again, after the sketch", floor_seconds(csv, workdir / "floor_again")))
    return figures


def floor_seconds(csv: Path, base: Path) -> float:
    """import_engine's floor route itself (its child process, DuckDB's defaults), in `base`."""
    base.mkdir(parents=True, exist_ok=True)
    floor = route_floor(csv, 0, base, argparse.Namespace(interval=0.5, stop_above_mib=8192))
    if floor.exit_code:
        raise SystemExit(f"the floor failed: {floor.details.get('stderr_tail')}")
    return floor.seconds


def report(figures: list[tuple[str, float]], rows: int) -> str:
    """The table; ratios against the slower of the two floors (the sketch's ratio at its lowest)."""
    floor = max(figures[0][1], figures[-1][1])
    sketch = sum(seconds for _, seconds in figures[1:-1])
    lines = [f"{rows:,} rows; x floor against the slower floor, {floor:.2f} s",
             "| step | seconds | x floor |", "|---|---:|---:|"]
    lines += [f"| {label} | {seconds:.2f} | x{seconds / floor:.2f} |" for label, seconds in figures]
    lines.append(f"| **the sketch, in all** | **{sketch:.2f}** | **x{sketch / floor:.2f}** |")
    lines.append(f"goal: 3x the floor = {3 * floor:.2f} s; the sketch alone is {sketch / (3 * floor):.2f} of it")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0], epilog=__doc__.split("\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows to generate (import_engine's file)")
    parser.add_argument("--csv", type=Path, help="read this file instead of generating one")
    parser.add_argument("--workdir", type=Path, help="work dir (default: a fresh temp dir, removed afterwards)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="optline-lower-bound-", dir=args.workdir) as tmp:
        workdir = Path(tmp)
        csv = args.csv
        if csv is None:
            csv = workdir / "input" / "bulk_contacts.csv"
            print(f"writing {args.rows:,} rows to {csv}", file=sys.stderr, flush=True)
            write_mixed_csv(csv, args.rows)
        rows = sum(1 for _ in csv.open("rb")) - 1
        print(report(measure(csv.resolve(), workdir), rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
