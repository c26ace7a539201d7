"""Expectation suites, run inside the warehouse: what every kind of input shares.

A suite (`expectations/<kind>.json`) is GX 1.x JSON; each expectation names the dataset it
reads (`meta.dataset`: a named query over a view in the `quality` schema, filtered to the
batch) and its severity (`meta.severity`). Thresholds are `$PARAMETER`s the caller fills in.
What a contact list's results decide is the gate's (`optline.contacts.gate`); the suites of
opt-out files and inbound texts only `observe`.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import duckdb

from optline import config, warehouse
from optline.config import PROJECT_DIR

log = logging.getLogger(__name__)

SUITE_DIR = PROJECT_DIR / "expectations"
# critical rejects a batch whole, review holds it for a person; observe only records (the
# suites of opt-out files and inbound texts: an opt-out must never wait).
SEVERITIES = ("observe", "review", "critical")
# The datasets a suite may read, each the named query of its `quality` view; the GX runner
# filters it to one batch.
DATASETS: dict[str, str] = {
    "accepted_rows": "quality/dataset_accepted_rows",
    "batch_shares": "quality/dataset_batch_shares",
    "optout_outcomes": "quality/dataset_optout_outcomes",
    "optout_shares": "quality/dataset_optout_shares",
    "inbound_outcomes": "quality/dataset_inbound_outcomes",
    "inbound_shares": "quality/dataset_inbound_shares",
}


class DatasetUnreadable(warehouse.WarehouseError):
    """A dataset's rows could not be computed for a batch: no expectation was evaluated."""


class SuiteError(ValueError):
    """A suite file is missing or malformed."""


def load_suite(name: str, suite_dir: Path | None = None) -> dict[str, Any]:
    path = (suite_dir or SUITE_DIR) / f"{name}.json"
    if not path.is_file():
        raise SuiteError(f"no expectation suite {path}")
    suite = json.loads(path.read_text(encoding="utf-8"))
    for index, exp in enumerate(suite.get("expectations", [])):
        meta = exp.get("meta") or {}
        if meta.get("severity") not in SEVERITIES:
            raise SuiteError(f"{path.name}: expectation {index + 1} ({exp.get('type')}) needs meta.severity "
                             f"in {SEVERITIES}")
        if meta.get("dataset") not in DATASETS:
            raise SuiteError(f"{path.name}: expectation {index + 1} ({exp.get('type')}) needs meta.dataset "
                             f"in {tuple(DATASETS)}")
    return suite


def dataset_query(dataset: str) -> str:
    """The query a validation of `dataset` reads, for the GX runner (it adds `where batch_id = N`)."""
    if dataset not in DATASETS:
        raise SuiteError(f"unknown dataset {dataset!r}; known: {tuple(DATASETS)}")
    text = warehouse.sql_text(DATASETS[dataset])
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))


def store_results(conn: duckdb.DuckDBPyConnection, batch_id: int, suite_name: str,
                  results: list[dict[str, Any]]) -> None:
    warehouse.run(conn, "quality/expectation_results_delete", batch_id=batch_id)
    for r in results:
        warehouse.run(conn, "quality/expectation_results_insert", batch_id=batch_id, suite_name=suite_name,
                      expectation_type=r["expectation_type"], column_name=r["column_name"],
                      severity=r["severity"], description=r["description"], success=r["success"],
                      observed_value=None if r["observed_value"] is None else str(r["observed_value"]),
                      element_count=r["element_count"], unexpected_count=r["unexpected_count"],
                      unexpected_percent=r["unexpected_percent"], kwargs=json.dumps(r["kwargs"], default=str))


def quiet_gx() -> None:
    """GX's own INFO lines (its registry, its temporary docs sites) only when asked for
    (`OPTLINE_GX_LOG_LEVEL`, default WARNING). Some GX modules set their logger's level to INFO
    when imported, so every GX logger gets the level, not only the parent."""
    level = config.gx_log_level()
    for name in [n for n in logging.root.manager.loggerDict if n.split(".")[0] == "great_expectations"]:
        logging.getLogger(name).setLevel(level)
    logging.getLogger("great_expectations").setLevel(level)


def run_suite(conn: duckdb.DuckDBPyConnection, batch_id: int, suite: dict[str, Any],
              parameters: dict[str, Any]) -> list[dict[str, Any]]:
    """Run the suite's expectations on the batch, inside the warehouse, dataset by dataset."""
    quiet_gx()  # before GX is imported (it logs while registering), and after (it sets levels of its own)
    from optline.quality import gx_duckdb

    quiet_gx()

    results: list[dict[str, Any]] = []
    for dataset in dict.fromkeys(e["meta"]["dataset"] for e in suite["expectations"]):
        part = {**suite, "expectations": [e for e in suite["expectations"] if e["meta"]["dataset"] == dataset]}
        if not part["expectations"]:
            continue
        try:
            with warehouse.materialized(conn, DATASETS[dataset], batch_id=int(batch_id)) as rows:
                outcomes = gx_duckdb.validate(conn, rows, part, batch_id=int(batch_id),
                                              parameters=parameters)
        except duckdb.Error as exc:
            raise DatasetUnreadable(f"the dataset {dataset} of batch {batch_id} could not be read "
                                    f"({gx_duckdb.masked(str(exc))})") from None
        for outcome in outcomes:
            results.append({
                "expectation_type": outcome.expectation_type,
                "column_name": outcome.column_name,
                "severity": outcome.severity,
                "description": outcome.description or outcome.expectation_type,
                "success": bool(outcome.success),
                "observed_value": outcome.observed_value,
                "element_count": outcome.element_count,
                "unexpected_count": outcome.unexpected_count,
                "unexpected_percent": outcome.unexpected_percent,
                "kwargs": outcome.kwargs,
                "error": outcome.error,  # not stored: the gate refuses to decide on it
            })
    return results


def observe(conn: duckdb.DuckDBPyConnection, batch_id: int, suite_name: str) -> list[dict[str, Any]]:
    """Run an observe-only suite on an applied batch and store its results; decides nothing."""
    suite = load_suite(suite_name)
    try:
        results = run_suite(conn, batch_id, suite, {})
    except DatasetUnreadable as exc:  # the batch is applied already: an opt-out never waits for its report
        log.error("batch %d: %s: no expectation evaluated: %s", batch_id, suite_name, exc)
        return []
    with warehouse.transaction(conn):
        store_results(conn, batch_id, suite_name, results)
    failed = [r["description"] for r in results if not r["success"]]
    log.info("batch %d: %s: %d expectations, %d failed%s", batch_id, suite_name, len(results), len(failed),
             f": {'; '.join(failed)}" if failed else "")
    return results
