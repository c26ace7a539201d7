"""Ids for new rows, without sequences: a counter per kind of id, spent in the inserting transaction.

DuckLake has no sequences (and no `RETURNING`), so every backend allocates ids the same way:
`ops.id_counters` holds the last id handed out under each name, and `insert` runs an insert
file that numbers its rows from `$first_id` (`$first_id + row_number() over (order by ...) - 1`,
so ids follow a stated order, the same on every run), then spends as many ids as rows went
in, all in one transaction. Two writers that allocate under one name both update its counter
row, so they cannot both commit on any backend: one fails at commit and is retried whole.
A deleted row's id stays spent: a counter never goes back.
"""

from __future__ import annotations

from typing import Any

import duckdb

from optline import warehouse

NAMES = ("batch_id", "contact_id", "list_id", "tag_id", "consent_event_id", "outbox_id")
"""The kinds of id: every kind of batch shares `batch_id` (one id names one file, whichever
kind it was); the others are the key columns of core.contacts, core.lists, core.tags,
core.consent_events (`event_id`) and msg.outbox."""


def insert(conn: duckdb.DuckDBPyConnection, name: str, id_name: str, **params: Any) -> range:
    """Run the insert `sql/<name>.sql` with `$first_id` the next free id under `id_name`; the
    ids its rows took (empty when it inserted none). Joins the caller's transaction, or runs in
    its own (`warehouse.atomic`)."""
    if id_name not in NAMES:
        raise ValueError(f"no id counter {id_name!r}: one of {NAMES} (add a row in a migration for a new one)")
    with warehouse.atomic(conn):
        row = warehouse.run(conn, "ids/id_counter_last", name=id_name).fetchone()
        if row is None:
            raise warehouse.WarehouseError(f"ops.id_counters has no {id_name!r} row: migrate the warehouse")
        first = row[0] + 1
        (count,) = warehouse.run(conn, name, first_id=first, **params).fetchone()
        if count:
            warehouse.run(conn, "ids/id_counter_advance", name=id_name, count=count)
    return range(first, first + count)


def insert_one(conn: duckdb.DuckDBPyConnection, name: str, id_name: str, **params: Any) -> int:
    """`insert` of a file that inserts exactly one row (a batch, a list): its id."""
    ids = insert(conn, name, id_name, **params)
    if len(ids) != 1:
        raise warehouse.WarehouseError(f"sql/{name}.sql inserted {len(ids)} rows where one was expected")
    return ids[0]
