"""The merge rules, proven on small real files imported one after another."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from optline.config import PROJECT_DIR
from optline.contacts import pipeline
from optline.runs import RunContext
from tests.helpers import write_csv

AS_OF = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
HEADER = ["phone", "first_name", "last_name", "email", "city", "dob", "opt_in_date", "tags"]


def person(phone, first="", last="", email="", city="", tags="", opt_in="2026-10-01"):
    return [phone, first, last, email, city, "1990-01-02", opt_in, tags]


def imported(conn, folder: Path, name: str, rows, **manifest):
    manifest.setdefault("lists", ["Main"])
    path = write_csv(folder / name, [HEADER, *rows], **manifest)
    summary = pipeline.import_file(conn, path, RunContext(as_of=AS_OF, dag_id="test", run_id="r1"),
                                   folder / "reports")
    assert summary.error is None, summary.error
    return summary


def contacts(conn) -> list[tuple]:
    return conn.execute("select e164, first_name, last_name, email, city from core.contacts "
                        "order by e164, contact_id").fetchall()


def test_same_number_and_names_in_another_file_merges_into_one_contact(conn, tmp_path):
    imported(conn, tmp_path, "a.csv", [person("(415) 555-0101", "Ann", "Lee", email="ann@example.com")])
    second = imported(conn, tmp_path, "b.csv", [person("+1 415-555-0101", "ANN", "lee", city="Oakland")])
    assert contacts(conn) == [("+14155550101", "Ann", "Lee", "ann@example.com", "Oakland")]
    assert (second.new_contacts, second.merged_contacts) == (0, 1)


def test_blank_incoming_fields_never_overwrite_but_new_values_do(conn, tmp_path):
    imported(conn, tmp_path, "a.csv", [person("(415) 555-0101", "Ann", "Lee", email="ann@example.com",
                                              city="Oakland")])
    imported(conn, tmp_path, "b.csv", [person("(415) 555-0101", "Ann", "Lee", email="", city="Berkeley")])
    assert contacts(conn) == [("+14155550101", "Ann", "Lee", "ann@example.com", "Berkeley")]


def test_a_contact_twice_in_one_file_is_the_first_row_the_second_a_duplicate(conn, tmp_path):
    rows = [person("(415) 555-0104", "Ann", "Lee", email="a@x.org", city="Oakland"),
            person("(415) 555-0104", "ann", "LEE", email="", city="Berkeley"),
            person("(415) 555-0105", "Bo", "Li", email="bo@x.org")]
    summary = imported(conn, tmp_path, "a.csv", rows)
    assert contacts(conn) == [("+14155550104", "Ann", "Lee", "a@x.org", "Oakland"),
                              ("+14155550105", "Bo", "Li", "bo@x.org", None)]
    assert summary.new_contacts == 2


def test_same_number_with_other_names_is_a_separate_contact_sharing_the_number(conn, tmp_path):
    imported(conn, tmp_path, "a.csv", [person("(415) 555-0101", "Ann", "Lee"),
                                       person("(415) 555-0101", "Bo", "Lee")])
    assert [c[:3] for c in contacts(conn)] == [("+14155550101", "Ann", "Lee"), ("+14155550101", "Bo", "Lee")]
    assert conn.execute("select count(*) from core.phone_numbers").fetchone()[0] == 1


def test_row_without_names_merges_into_the_earliest_contact_at_that_number(conn, tmp_path):
    imported(conn, tmp_path, "a.csv", [person("(415) 555-0101", "Ann", "Lee"), person("(415) 555-0101", "Bo", "Lee")])
    imported(conn, tmp_path, "b.csv", [person("(415) 555-0101", email="family@example.com")])
    assert contacts(conn) == [("+14155550101", "Ann", "Lee", "family@example.com", None),
                              ("+14155550101", "Bo", "Lee", None, None)]


@pytest.mark.parametrize(("rows", "email"), [
    ([person("(415) 555-0103", "Ann", "Lee", email="ann@example.com"), person("(415) 555-0103", email="new@x.org")],
     "new@x.org"),
    ([person("(415) 555-0103", email="old@x.org"), person("(415) 555-0103", "Ann", "Lee", email="ann@example.com")],
     "ann@example.com"),
])
def test_a_row_without_names_merges_into_a_contact_the_same_file_makes_and_the_later_row_wins(
        conn, tmp_path, rows, email):
    summary = imported(conn, tmp_path, "a.csv", rows)
    assert contacts(conn) == [("+14155550103", "Ann", "Lee", email, None)]
    assert summary.new_contacts == 1


def test_row_without_names_creates_a_contact_for_a_new_number(conn, tmp_path):
    summary = imported(conn, tmp_path, "a.csv", [person("(415) 555-0102")])
    assert contacts(conn) == [("+14155550102", None, None, None, None)]
    assert summary.new_contacts == 1


def test_list_names_are_unique_ignoring_case(conn, tmp_path):
    imported(conn, tmp_path, "a.csv", [person("(415) 555-0101", "Ann")], lists=["Spring Promo"])
    imported(conn, tmp_path, "b.csv", [person("(415) 555-0102", "Bo")], lists=["spring promo", "VIP"])
    assert conn.execute("select name from core.lists order by name").fetchall() == [("Spring Promo",), ("VIP",)]
    members = conn.execute("""select l.name, c.first_name, m.status from core.memberships m
        join core.lists l using (list_id) join core.contacts c using (contact_id) order by 1, 2""").fetchall()
    assert members == [("Spring Promo", "Ann", "pending"), ("Spring Promo", "Bo", "pending"), ("VIP", "Bo", "pending")]


def test_tags_come_from_the_manifest_and_the_rows_without_duplicates(conn, tmp_path):
    imported(conn, tmp_path, "a.csv", [person("(415) 555-0101", "Ann", tags="VIP; events"),
                                       person("(415) 555-0102", "Bo", tags="")], tags=["Spring", "vip"])
    got = conn.execute("""select c.first_name, list(t.name order by t.name) from core.contact_tags ct
        join core.tags t using (tag_id) join core.contacts c using (contact_id) group by 1 order by 1""").fetchall()
    # one tag per name ignoring case ("vip" in the manifest and "VIP" in a row are one tag)
    assert got == [("Ann", ["Spring", "VIP", "events"]), ("Bo", ["Spring", "VIP"])]


def test_channel_from_the_manifest_is_recorded_per_contact_and_membership(conn, tmp_path):
    imported(conn, tmp_path, "a.csv", [person("(415) 555-0101", "Ann")])
    imported(conn, tmp_path, "b.csv", [person("(415) 555-0101", "Ann")], channel="whatsapp", lists=["WA"])
    assert conn.execute("select channel from core.contact_channels order by 1").fetchall() == [("sms",), ("whatsapp",)]
    assert conn.execute("select channel from core.memberships order by 1").fetchall() == [("sms",), ("whatsapp",)]


def test_each_accepted_row_appends_one_opt_in_event_with_its_evidence(conn, tmp_path):
    imported(conn, tmp_path, "a.csv", [person("(415) 555-0101", "Ann", opt_in="2026-09-15 10:30"),
                                       person("bad", "Bo")],
             consent={"source": "web form", "method": "double_opt_in"})
    events = conn.execute("""select n.e164, e.scope, e.kind, e.effective_at, e.source, e.method, e.batch_id,
        e.row_number, e.dag_id, e.run_id from core.consent_events e
        join core.phone_numbers n using (number_hmac)""").fetchall()
    assert events == [("+14155550101", "sms", "opt_in", dt.datetime(2026, 9, 15, 10, 30, tzinfo=dt.UTC),
                       "web form", "double_opt_in", 1, 1, "test", "r1")]
    # the ledger names the number by its keyed HMAC, never by the number itself
    assert "+14155550101" not in str(conn.execute("select * from core.consent_events").fetchall())


def test_every_accepted_row_is_traced_to_its_contact(conn, tmp_path):
    imported(conn, tmp_path, "a.csv", [person("(415) 555-0101", "Ann"), person("(415) 555-0101", "ann"),
                                       person("(415) 555-0102", "Bo")])
    traced = conn.execute("""select o.row_number, c.first_name from staging.row_outcomes o
        join staging.row_contacts r using (batch_id, row_number)
        join core.contacts c using (contact_id) where o.accepted order by 1""").fetchall()
    assert traced == [(1, "Ann"), (3, "Bo")]
    # one lineage row per accepted row, none for the rejected copy
    assert conn.execute("select row_number from staging.row_contacts order by 1").fetchall() == [(1,), (3,)]


def test_a_merge_that_fails_midway_leaves_the_core_tables_untouched(conn, tmp_path, monkeypatch):
    imported(conn, tmp_path, "a.csv", [person("(415) 555-0101", "Ann")])
    before = {t: conn.execute(f"select * from {t} order by all").fetchall() for t in (
        "core.contacts", "core.lists", "core.memberships", "core.phone_numbers", "core.consent_events")}
    broken_sql = tmp_path / "sql"
    shutil.copytree(PROJECT_DIR / "sql", broken_sql)
    (broken_sql / "merge" / "consent_events_insert.sql").write_text("select error('disk full (injected)')")
    monkeypatch.setenv("OPTLINE_SQL_DIR", str(broken_sql))
    with pytest.raises(Exception, match="disk full"):
        imported(conn, tmp_path, "b.csv", [person("(415) 555-0102", "Bo")], lists=["Other"])
    after = {t: conn.execute(f"select * from {t} order by all").fetchall() for t in before}
    assert after == before
    assert conn.execute("select status from ops.batches where file_name = 'b.csv'").fetchone()[0] == "validated"

    monkeypatch.delenv("OPTLINE_SQL_DIR")
    retried = imported(conn, tmp_path, "b.csv", [person("(415) 555-0102", "Bo")], lists=["Other"])
    assert (retried.status, retried.new_contacts) == ("merged", 1)


def test_new_contact_ids_follow_number_and_names_across_row_groups_and_spills(conn):
    """New contacts are numbered by their place in a sorted scratch table (a streaming
    `row_number() over ()`; the opt-in events by rowid, by row): checked on 300,000 contacts
    (several of DuckDB's 122,880-row groups), two threads and a memory limit that makes the
    sorts spill."""
    from optline import warehouse

    conn.execute("set threads = 2")
    conn.execute("set memory_limit = '120MiB'")
    conn.execute("""create or replace temp table incoming_contacts as
        select '+1415' || lpad(((i * 7919) % 300000)::varchar, 7, '0') as e164,
            case when i % 5 = 0 then chr(31) else 'n' || (i % 3)::varchar || chr(31) end as name_key,
            i % 5 = 0 as is_nameless, i as last_row_number, 'N' || i::varchar as first_name,
            null::varchar as last_name, null::varchar as email, null::date as dob, null::varchar as title,
            null::varchar as address_line1, null::varchar as address_line2, null::varchar as city,
            null::varchar as state, null::varchar as postcode, null::varchar as company,
            null::varchar as alternate_phone
        from range(300000) as t(i)""")
    with warehouse.transaction(conn):  # as in the merge: the scratch table is the transaction's own
        for step in ("new_named_contacts_create", "contacts_insert_new_named"):
            warehouse.run(conn, f"merge/{step}", batch_id=1, first_id=1000)
    out_of_order = conn.execute("""select count(*) from (
            select contact_id, row_number() over (order by e164, name_key) + 999 as expected
            from core.contacts) where contact_id <> expected""").fetchone()[0]
    assert conn.execute("select count(*), min(contact_id), max(contact_id) from core.contacts").fetchone() == (
        240_000, 1000, 240_999)
    assert out_of_order == 0
