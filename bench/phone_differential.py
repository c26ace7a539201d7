"""The SQL phone normalizer against phonenumbers itself, on as many generated inputs as asked.

    .venv/bin/python bench/phone_differential.py --inputs 1000000

The same check as tests/optline/test_phones_differential.py (which runs 100,000 in `make
test`): tests/phone_inputs.py generates about `--inputs` distinct raw values across its 45 regions
and every format variant, `phones.normalize_batch` stores their parses in a fresh DuckDB
warehouse file (SQL first, phonenumbers for the rest), and every stored parse is compared with
`phones.parse_phone`: E.164, region, type, time zones, error and HMAC. It prints the counts (and
the first disagreements, if any) and exits 1 on any disagreement.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--inputs", type=int, default=1_000_000, help="distinct raw values to generate (1,000,000)")
    parser.add_argument("--seed", type=int, default=13, help="the generator's seed (13)")
    parser.add_argument("--json", type=Path, help="append the figures to this file as one JSON line")
    args = parser.parse_args(argv)
    os.environ.setdefault("OPTLINE_HMAC_KEY", secrets.token_hex(32))

    from optline import warehouse
    from tests import phone_inputs

    started = time.monotonic()
    generated = phone_inputs.batches(args.inputs, args.seed)
    values = sum(len(v) for _, v in generated)
    print(f"generated {values:,} distinct values in {len(generated)} batches "
          f"({len({r for r, _ in generated})} default regions) in {time.monotonic() - started:.1f} s", flush=True)
    wrong: list[tuple] = []
    with tempfile.TemporaryDirectory() as folder:
        conn = warehouse.connect(Path(folder) / "w.duckdb")
        compared = time.monotonic()
        in_sql = 0
        for batch_id, (region, batch) in enumerate(generated, start=1):
            found, parsed_in_sql = phone_inputs.disagreements(conn, batch_id, region, batch)
            wrong += found
            in_sql += parsed_in_sql
        counts = conn.execute(
            "select count(*) filter (where parse_error is null), count(*) filter (where parse_error is not null), "
            "count(distinct region) from staging.phone_parses").fetchone()
        conn.close()
    figures = {"inputs": values, "valid": counts[0], "valid_in_sql": in_sql, "invalid": counts[1],
               "regions_found": counts[2],
               "disagreements": len(wrong), "seconds": round(time.monotonic() - compared, 1)}
    print(json.dumps(figures))
    for value, got, want in wrong[:20]:
        print(f"DISAGREE {value!r}: stored {got}, phonenumbers {want}")
    if args.json:
        with args.json.open("a", encoding="utf-8") as out:
            out.write(json.dumps(figures) + "\n")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
