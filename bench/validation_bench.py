"""Validation of one batch: Great Expectations inside DuckDB versus the pandas route.

    .venv/bin/python bench/validation_bench.py --rows 1000000

Builds a warehouse with one batch of N rows in `staging.row_outcomes`, then runs the same
8 expectations twice, each route in a process of its own so peak memory is its own:
- **warehouse**: `optline.gx_duckdb.validate` (GX's SQL datasource, pushed down into DuckDB);
- **pandas**: the batch fetched with `.df()` and validated by GX's pandas datasource.
Prints seconds (GX's import excluded) and peak RSS for each, and checks the verdicts agree.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SUITE = {"name": "bench", "expectations": [
    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "e164"}},
    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "first_name"}},
    {"type": "expect_column_values_to_be_between", "kwargs": {"column": "row_number", "min_value": 0}},
    {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "e164", "regex": r"^\+[1-9][0-9]{6,14}$"}},
    {"type": "expect_column_value_lengths_to_be_between",
     "kwargs": {"column": "e164", "min_value": 8, "max_value": 16}},
    {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["batch_id", "row_number"]}},
    {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "accepted", "value_set": [True]}},
    {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}},
]}


def _rss_mib(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def build(db: Path, rows: int) -> None:
    from optline import warehouse

    conn = warehouse.connect(db)
    conn.execute(f"""insert into staging.row_outcomes
        (batch_id, row_number, accepted, reason_code, reasons, warnings, e164, first_name, last_name, email, dob,
         opted_in_at)
        select 1, range, range % 50 <> 0, case when range % 50 = 0 then 'invalid_number' end,
               case when range % 50 = 0 then ['invalid_number'] else [] end, [],
               case when range % 1000 = 7 then '0' || (7700900000 + range)::varchar
                    else '+1' || (2015550000 + range)::varchar end,
               case when range % 97 = 0 then null else 'First' || (range % 5000)::varchar end,
               'Last' || (range % 20000)::varchar, 'user' || range::varchar || '@example.com',
               date '1960-01-01' + (range % 15000)::int, timestamptz '2025-01-01 00:00:00+00' + to_seconds(range)
        from range({rows})""")
    conn.execute("checkpoint")
    conn.close()


def run(route: str, db: Path) -> dict:
    import duckdb
    import great_expectations as gx
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.data_context.types.base import ProgressBarsConfig

    import optline.quality.gx_duckdb as g

    started = time.perf_counter()
    if route == "warehouse":
        outcomes = g.validate(db, "staging.row_outcomes", SUITE, batch_id=1)
        verdicts = sorted((o.expectation_type, o.success, o.unexpected_count) for o in outcomes)
    else:
        conn = duckdb.connect(str(db), read_only=True)
        frame = conn.sql(g.batch_query("staging.row_outcomes", batch_id=1)).df()
        conn.close()
        ctx = gx.get_context(mode="ephemeral")
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        batch = ctx.data_sources.add_pandas("p").add_dataframe_asset("a").add_batch_definition_whole_dataframe("b")
        suite = ctx.suites.add(ExpectationSuite(name="bench", expectations=[
            c.to_domain_obj() for c in g._expectation_configs(SUITE)]))
        definition = ctx.validation_definitions.add(gx.ValidationDefinition(name="v", data=batch, suite=suite))
        result = definition.run(batch_parameters={"dataframe": frame}, result_format=dict(g.RESULT_FORMAT))
        verdicts = sorted((r.expectation_config.type, r.success, (r.result or {}).get("unexpected_count"))
                          for r in result.results)
    return {"route": route, "seconds": round(time.perf_counter() - started, 2),
            "peak_rss_mib": round(_rss_mib("VmHWM")), "verdicts": verdicts}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the batch (default 1,000,000)")
    parser.add_argument("--route", choices=["warehouse", "pandas"], help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.route:
        print(json.dumps(run(args.route, args.db), default=str))
        return 0
    with tempfile.TemporaryDirectory(prefix="optline-gx-bench-") as tmp:
        db = Path(tmp) / "bench.duckdb"
        build(db, args.rows)
        results = []
        for route in ("warehouse", "pandas"):
            out = subprocess.run([sys.executable, __file__, "--route", route, "--db", str(db)],
                                 capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
            results.append(json.loads(out))
    print(f"{args.rows:,} rows, 8 expectations")
    for r in results:
        print(f"  {r['route']:<10} {r['seconds']:>7.2f} s   peak RSS {r['peak_rss_mib']:>6,} MiB")
    same = results[0]["verdicts"] == results[1]["verdicts"]
    print(f"  verdicts agree: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
