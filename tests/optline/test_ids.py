"""Ids without sequences (optline.ids), through the real insert files on a real warehouse: the
contact import's batch insert (one counter, `batch_id`) and its new-list insert (`list_id`)."""

from __future__ import annotations

import json

import pytest

from optline import ids, warehouse
from tests.conftest import AS_OF

pytestmark = pytest.mark.usefixtures("backend")  # ids hold on every backend


def new_batch(conn, key: str, lists: list[str]) -> int:
    """A contact batch targeting `lists`, through sql/staging/batch_insert.sql."""
    return ids.insert_one(
        conn, "staging/batch_insert", "batch_id", import_key=key, file_name=f"{key}.csv",
        file_path=f"/inbox/{key}.csv", file_sha256=key, file_bytes=1, file_stat=None, file_format="csv",
        encoding="utf-8",
        delimiter=",", has_header=True, manifest_path=None, manifest=json.dumps({}), policy_name="default",
        list_names=lists, channel="sms", default_country="US", dag_id="test", run_id="r1", as_of=AS_OF,
        clock_override_by=None, clock_real_time=None, policy_loosened="[]", imported_by="tester")


def new_lists(conn, batch_id: int) -> range:
    return ids.insert(conn, "merge/lists_insert_new", "list_id", batch_id=batch_id)


def lists_by_id(conn) -> dict[int, str]:
    return dict(conn.execute("select list_id, name from core.lists order by list_id").fetchall())


def last_id(conn, name: str) -> int:
    return conn.execute("select last_id from ops.id_counters where name = ?", [name]).fetchone()[0]


def test_ids_follow_the_inserts_stated_order_and_run_on_across_two_inserts(conn):
    first = new_lists(conn, new_batch(conn, "a", ["Zeta", "alpha", "Mid"]))
    second = new_lists(conn, new_batch(conn, "b", ["beta", "Alpha"]))  # alpha exists: only beta is new
    assert len(first) == 3 and len(second) == 1
    assert second.start == first.stop  # consecutive: no gap, no overlap
    # merge/lists_insert_new numbers its rows by name_key
    assert lists_by_id(conn) == {first[0]: "alpha", first[1]: "Mid", first[2]: "Zeta", second[0]: "beta"}
    assert last_id(conn, "list_id") == second[-1]


def test_batches_of_every_kind_share_one_counter(conn):
    contacts = new_batch(conn, "a", ["Main"])
    with warehouse.transaction(conn):
        optouts = ids.insert_one(
            conn, "optouts/batch_insert", "batch_id", import_key="o", file_name="o.csv", file_path="/o.csv",
            file_sha256="o", file_bytes=1, file_format="csv", encoding="utf-8", delimiter=",", has_header=True,
            manifest_path=None, manifest="{}", scope="all", default_country="US", source="web", method="form",
            default_opted_out_at=AS_OF, dag_id=None, run_id=None, as_of=AS_OF)
    assert optouts == contacts + 1
    assert conn.execute("select batch_id from ops.optout_batches").fetchall() == [(optouts,)]


def test_an_insert_of_no_rows_spends_no_id(conn):
    batch = new_batch(conn, "a", ["Main", "Other"])
    first = new_lists(conn, batch)
    before = last_id(conn, "list_id")
    again = new_lists(conn, new_batch(conn, "b", ["main", "OTHER"]))  # both exist already
    assert len(again) == 0
    assert last_id(conn, "list_id") == before
    assert new_lists(conn, new_batch(conn, "c", ["Third"])) == range(first.stop, first.stop + 1)


def test_a_rolled_back_transaction_spends_no_id(conn):
    batch = new_batch(conn, "a", ["Main"])
    before = last_id(conn, "list_id")
    with pytest.raises(RuntimeError, match="undone"), warehouse.transaction(conn):
        taken = new_lists(conn, batch)
        assert len(taken) == 1
        raise RuntimeError("undone")
    assert last_id(conn, "list_id") == before
    assert lists_by_id(conn) == {}
    assert new_lists(conn, batch) == taken  # the same id, handed out for real this time


def test_a_deleted_rows_id_is_never_handed_out_again(conn):
    taken = new_lists(conn, new_batch(conn, "a", ["Main"]))
    conn.execute("delete from core.lists where list_id = ?", [taken[0]])
    again = new_lists(conn, new_batch(conn, "b", ["Main"]))  # the same name, a new list
    assert len(again) == 1 and again[0] > taken[0]
    assert lists_by_id(conn) == {again[0]: "Main"}


def test_an_unknown_id_name_is_refused_and_nothing_is_inserted(conn):
    batch = new_batch(conn, "a", ["Main"])
    with pytest.raises(ValueError, match="widget_id"):
        ids.insert(conn, "merge/lists_insert_new", "widget_id", batch_id=batch)
    assert lists_by_id(conn) == {}


def test_a_file_already_recorded_is_not_recorded_again_and_spends_no_id(conn):
    batch = new_batch(conn, "a", ["Main"])
    with pytest.raises(warehouse.WarehouseError, match="inserted 0 rows"):
        new_batch(conn, "a", ["Main"])
    assert conn.execute("select batch_id from ops.batches").fetchall() == [(batch,)]
    assert last_id(conn, "batch_id") == batch
