"""Staging's reader side by side: a generated contact CSV turned into staged Arrow chunks by the csv
module path (`readers.read_delimited` records, `chunks._columnar_chunk`) and by the plain-lines
path (`lines.PlainLines` blocks split by Arrow), in one process, best of `--repeat` each.

    .venv/bin/python bench/staging_lines.py                  # 1,000,000 rows
    .venv/bin/python bench/staging_lines.py --rows 200000 --repeat 5

Both read the same file (no quote in it: the file `import_engine.py` generates), skip its header
and build every chunk `staging.stage_file` would insert (nothing is inserted). It checks that the
two paths give equal tables and prints seconds and rows/s; it never asserts a speed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from import_engine import PROJECT, write_mixed_csv  # noqa: E402

sys.path.insert(0, str(PROJECT / "include"))
from optline.intake.chunks import staged_chunks  # noqa: E402
from optline.intake.fields import FIELDS  # noqa: E402
from optline.intake.lines import PlainLines  # noqa: E402
from optline.intake.readers import detect_encoding, open_text, read_delimited  # noqa: E402

HEADER = ("phone", "first_name", "last_name", "dob", "opt_in_date", "email")
BY_COLUMN = {"phone_raw": 0, "first_name": 1, "last_name": 2, "dob_raw": 3, "opted_in_at_raw": 4, "email": 5}


def _chunks(records):
    next(records)  # the header
    return staged_chunks(records, batch_id=1, data_columns=list(FIELDS.values()), by_column=BY_COLUMN,
                         width=len(HEADER), names=HEADER, chunk_rows=100_000)


def csv_module(path: Path, encoding: str) -> list:
    with open_text(path, encoding) as fh:
        return list(_chunks(read_delimited(fh, path.name, ",")))


def plain_lines(path: Path, encoding: str) -> list:
    return list(_chunks(PlainLines(path, encoding, ",")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the generated file (default 1,000,000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each path; the best is shown (default 3)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="optline-staging-lines-") as tmp:
        path = Path(tmp) / "bulk_contacts.csv"
        write_mixed_csv(path, args.rows)
        encoding = detect_encoding(path)
        best: dict[str, float] = {}
        outputs = {}
        for _ in range(args.repeat):
            for name, route in (("csv module", csv_module), ("plain lines", plain_lines)):
                started = time.perf_counter()
                outputs[name] = route(path, encoding)
                best[name] = min(best.get(name, float("inf")), time.perf_counter() - started)
        same = [c.to_pylist() for c in outputs["csv module"]] == [c.to_pylist() for c in outputs["plain lines"]]
        print(f"{args.rows:,} rows, {path.stat().st_size / 1e6:,.1f} MB, best of {args.repeat}; equal tables: {same}")
        for name, seconds in best.items():
            print(f"  {name:<12} {seconds:6.2f} s  {args.rows / seconds:>10,.0f} rows/s  "
                  f"x{seconds / best['plain lines']:.2f} of plain lines")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
