"""What every adapter shares: the warehouse from Airflow's connection, the run's clock, inbox discovery."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
from airflow.providers.duckdb.hooks.duckdb import DuckDBHook
from airflow.sdk.exceptions import AirflowNotFoundException

from optline import lake, warehouse
from optline.intake.discovery import discover
from optline.runs import RunContext
from optline.warehouse import cannot_open

log = logging.getLogger(__name__)

WAREHOUSE_CONN_ID = "optline_warehouse"
WRITER_POOL = "duckdb_writer"


BUSY_IN_AIRFLOW = (f"Airflow retries this task (with backoff). Every task that writes the warehouse must run "
                   f"in the pool {WRITER_POOL!r} (1 slot), and only one Airflow deployment may use this file.")


@contextmanager
def open_warehouse() -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse from the Airflow connection `optline_warehouse` if defined, else OPTLINE_WAREHOUSE.

    A warehouse another process holds open raises `WarehouseError` saying who holds it: the
    task fails and keeps its retries (the other process usually finishes)."""
    try:
        hook = DuckDBHook(duckdb_conn_id=WAREHOUSE_CONN_ID)
        database = hook.get_database()
    except AirflowNotFoundException:
        hook, database = None, None
    if hook is not None and database == ":memory:":
        raise ValueError(f"Airflow connection {WAREHOUSE_CONN_ID!r} has no host: set it to the warehouse file path")
    if hook is None:
        conn = warehouse.connect()
    elif lake.location(database) is not None:
        conn = warehouse.connect(database)  # a lake: its catalog is the connection's host (DuckDBHook opens files)
    else:
        try:
            opened = hook.get_conn()
        except duckdb.IOException as exc:
            raise cannot_open(database, exc, then=BUSY_IN_AIRFLOW) from exc
        conn = warehouse.prepare(opened)
    try:
        yield conn
    finally:
        conn.close()


def run_context(context: dict[str, Any], *, wall_clock: bool = False) -> RunContext:
    """The clock a step uses: the `as_of` param (tests, demos; recorded as a clock override, with
    who triggered the run and the real time), else when the run was due (stable on re-runs), or
    with `wall_clock` the real time (an opt-out's report must show when it was really applied)."""
    params = context.get("params") or {}
    dag_run = context.get("dag_run")
    as_of = params.get("as_of")
    dag = context.get("dag")
    dag_id, run_id = getattr(dag, "dag_id", None), context.get("run_id")
    if as_of:
        when = dt.datetime.fromisoformat(str(as_of))
        when = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
        # A clock set by hand is a compliance override: who set it, and when the run really was.
        user = getattr(dag_run, "triggering_user_name", None)
        by = f"{user} (DAG {dag_id}, run {run_id})" if user else f"the `as_of` param of DAG {dag_id}, run {run_id}"
        return RunContext(as_of=when, dag_id=dag_id, run_id=run_id, clock_override_by=by,
                          real_time=dt.datetime.now(dt.UTC), imported_by=user)
    if wall_clock:
        when = dt.datetime.now(dt.UTC)
    else:
        when = getattr(dag_run, "run_after", None) or context.get("logical_date") or dt.datetime.now(dt.UTC)
    return RunContext(as_of=when, dag_id=dag_id, run_id=run_id,
                      imported_by=getattr(dag_run, "triggering_user_name", None))


def discover_in(folder: Path, what: str) -> list[dict]:
    """The files waiting in an inbox folder, for XCom (paths and names only); none if it is missing."""
    if not folder.is_dir():
        log.info("no %s inbox at %s yet: nothing to apply", what, folder)
        return []
    files = [f.as_xcom() for f in discover(folder)]
    log.info("%d %s file(s) in %s: %s", len(files), what, folder, ", ".join(f["name"] for f in files) or "none")
    return files



def safe_name(run_id: str | None) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in (run_id or "manual"))
