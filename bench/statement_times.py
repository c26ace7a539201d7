"""Where an `optline` command spends its time, SQL file by SQL file.

Runs the CLI in this process with `optline.warehouse.run` wrapped in a timer, then prints each
`sql/<name>.sql` the command ran: total seconds, how many times, and seconds a run. Everything
else (the readers, phonenumbers, Great Expectations, start-up) is the difference between the
command's wall time, printed last, and the statements' sum. A statement that calls another
through `warehouse.run` counts in both.

Run it from the project root with the project's virtualenv, with the environment the command
needs (OPTLINE_DATA_DIR, OPTLINE_HMAC_KEY, ...), the CLI's arguments after `--`:

    .venv/bin/python bench/statement_times.py -- -v import inbox/bulk_contacts.csv
    .venv/bin/python bench/statement_times.py --top 40 --json /tmp/times.json -- import big.csv

bench/README.md ("Where the 10M import spends its time") has a 10M-row import measured this way.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT / "include"))
sys.path.insert(0, str(PROJECT / "bench"))

from import_bench import time_sql_files  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--top", type=int, default=30, help="print the N slowest SQL files (default: %(default)s)")
    parser.add_argument("--json", metavar="FILE", help="also write {sql file: [seconds, runs]} to FILE")
    parser.add_argument("cli", nargs=argparse.REMAINDER, help="-- then the optline command and its arguments")
    args = parser.parse_args(argv)
    args.cli = args.cli[1:] if args.cli[:1] == ["--"] else args.cli
    if not args.cli:
        parser.error("give the optline command after --, e.g. -- import inbox/bulk_contacts.csv")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    seconds: dict[str, float] = {}
    runs: dict[str, int] = {}
    time_sql_files(seconds, runs)
    from optline import cli

    started = time.perf_counter()
    try:
        code = cli.main(args.cli)
    finally:
        wall = time.perf_counter() - started
        slowest = sorted(seconds.items(), key=lambda kv: -kv[1])
        print(f"\n{'seconds':>9} {'runs':>6} {'s/run':>8}  sql file", file=sys.stderr)
        for name, total in slowest[:args.top]:
            print(f"{total:9.2f} {runs[name]:6d} {total / runs[name]:8.3f}  {name}", file=sys.stderr)
        print(f"{sum(seconds.values()):9.2f} {sum(runs.values()):6d} {'':8}  all SQL files ({len(seconds)})",
              file=sys.stderr)
        print(f"{wall:9.2f} {'':6} {'':8}  the command, wall time", file=sys.stderr)
        if args.json:
            Path(args.json).write_text(json.dumps({name: [total, runs[name]] for name, total in slowest}, indent=1),
                                       encoding="utf-8")
    return code


if __name__ == "__main__":
    sys.exit(main())
