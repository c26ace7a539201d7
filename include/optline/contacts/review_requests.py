"""Which held batches a batch_review run asks about: those with no open review request.

A request is open while the run that made it is still going (its reviewer has not answered
and its timeout has not passed). Each run asks only about held batches without an open
request, and records the ones it asks (`ops.review_requests`), so runs may overlap: a batch
held while another waits on its reviewer is asked about at once, by the next run, and no
batch is asked about twice. A batch whose asking run ended without a decision (failed,
cancelled) has no open request and is asked again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import duckdb

from optline import warehouse

RunIsGoing = Callable[[str, str], bool]
"""(dag_id, run_id) -> whether that run is still queued or running."""


def latest_requests(conn: duckdb.DuckDBPyConnection) -> dict[int, tuple[str, str]]:
    """batch id -> (dag_id, run_id) of the latest request, for batches still awaiting review."""
    return {r["batch_id"]: (r["dag_id"], r["run_id"])
            for r in warehouse.fetch_dicts(conn, "review_requests/latest_by_held_batch")}


def to_ask(held: list[dict], latest: dict[int, tuple[str, str]], dag_id: str, run_id: str,
           run_is_going: RunIsGoing) -> list[dict]:
    """The held batches this run (`dag_id`, `run_id`) asks about: never asked, asked by this
    run (a retried task), or asked by a run that is no longer going."""
    def asks(batch: dict) -> bool:
        asked_by = latest.get(batch["batch_id"])
        return asked_by is None or asked_by == (dag_id, run_id) or not run_is_going(*asked_by)

    return [batch for batch in held if asks(batch)]


def record_requests(conn: duckdb.DuckDBPyConnection, batch_ids: list[int], dag_id: str, run_id: str,
                    at: dt.datetime) -> None:
    """Record that this run asks about `batch_ids` (one transaction)."""
    with warehouse.transaction(conn):
        for batch_id in batch_ids:
            warehouse.run(conn, "review_requests/review_requests_insert", batch_id=batch_id, dag_id=dag_id,
                          run_id=run_id, requested_at=at)
