"""Deleting contacts: personal data goes everywhere, suppression survives re-imports."""

from __future__ import annotations

import datetime as dt

import pytest

from optline.consent import ledger as consent
from optline.contacts import pipeline
from optline.contacts.deletion import delete_contacts
from optline.runs import RunContext
from tests.helpers import write_csv

AS_OF = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
HEADER = ["phone", "first_name", "dob", "opt_in"]


def imported(conn, data_dir, name, rows, **manifest):
    path = write_csv(data_dir / "inbox" / name, [HEADER, *rows], **manifest)
    return pipeline.import_file(conn, path, RunContext(as_of=AS_OF), data_dir / "reports")


def pii_left(conn, number: str, name: str) -> list[str]:
    """Every table that still holds the number or the name, anywhere in any column."""
    tables = [t for (t,) in conn.execute("""select table_schema || '.' || table_name from information_schema.tables
        where table_type = 'BASE TABLE'""").fetchall()]
    digits = number.replace("+1", "")
    return [t for t in tables if digits in str(conn.execute(f"select * from {t}").fetchall())
            or name in str(conn.execute(f"select * from {t}").fetchall())]


def test_deleting_a_list_removes_its_members_personal_data_everywhere(conn, data_dir):
    imported(conn, data_dir, "a.csv", [["(415) 555-0101", "Annabel", "1990-01-01", "2026-10-01"]], lists=["Gone"])
    imported(conn, data_dir, "b.csv", [["(415) 555-0102", "Boris", "1990-01-01", "2026-10-01"]], lists=["Kept"])
    result = delete_contacts(conn, list_name="gone", requested_by="dpo")
    assert (result.contacts_deleted, result.numbers_deleted, result.staged_rows_deleted) == (1, 1, 1)
    assert pii_left(conn, "+14155550101", "Annabel") == []
    assert conn.execute("select first_name from core.contacts").fetchall() == [("Boris",)]
    assert conn.execute("select list_name, requested_by, contacts_deleted from ops.deletions").fetchall() == [
        ("gone", "dpo", 1)]


def test_a_deleted_number_that_had_opted_out_is_still_refused_when_imported_again(conn, data_dir):
    imported(conn, data_dir, "a.csv", [["(415) 555-0101", "Annabel", "1990-01-01", "2026-10-01"]], lists=["L"])
    stop = consent.Event("+14155550101", "all", "opt_out", AS_OF - dt.timedelta(days=1), "inbound", "STOP")
    consent.append(conn, [stop])
    events_before = conn.execute("select * from core.consent_events order by all").fetchall()
    delete_contacts(conn, everyone=True, requested_by="dpo")
    assert conn.execute("select * from core.consent_events order by all").fetchall() == events_before
    again = imported(conn, data_dir, "again.csv", [["415 555 0101", "Annabel", "1990-01-01", "2026-10-20"]],
                     lists=["L"])
    assert again.rejected_by_reason == {"previously_opted_out": 1}
    assert conn.execute("select count(*) from core.contacts").fetchone()[0] == 0


def test_a_number_shared_with_a_contact_on_another_list_stays_for_that_contact(conn, data_dir):
    imported(conn, data_dir, "a.csv", [["(415) 555-0101", "Annabel", "1990-01-01", "2026-10-01"]], lists=["Gone"])
    imported(conn, data_dir, "b.csv", [["(415) 555-0101", "Boris", "1990-01-01", "2026-10-01"]], lists=["Kept"])
    result = delete_contacts(conn, list_name="Gone", requested_by="dpo")
    assert (result.contacts_deleted, result.numbers_deleted) == (1, 0)
    assert conn.execute("select e164, first_name from core.contacts").fetchall() == [("+14155550101", "Boris")]


def test_a_deletion_must_say_what_it_deletes(conn):
    with pytest.raises(ValueError, match="either"):
        delete_contacts(conn, requested_by="x")


def test_a_deleted_contacts_queued_welcome_is_cancelled_and_the_outbox_forgets_the_number(conn, data_dir):
    from optline.messaging import outbox
    from optline.messaging.settings import WelcomeSettings
    from tests.helpers import import_people, person

    as_of = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
    import_people(conn, data_dir, "a.csv", [person("(415) 555-0161", "Ann"), person("(415) 555-0162", "Bo")],
                  as_of=as_of, lists=["Gone"])
    outbox.enqueue_welcomes(conn, WelcomeSettings(), as_of)
    conn.execute("update msg.outbox set status = 'sent' where e164 = '+14155550162'")
    delete_contacts(conn, list_name="Gone", requested_by="test")
    rows = conn.execute("select status, status_reason, e164, body from msg.outbox order by outbox_id").fetchall()
    assert rows == [("cancelled", "deleted", "", ""), ("sent", None, "", "")]


def test_a_deleted_numbers_received_texts_keep_their_evidence_but_not_the_number(conn, data_dir):
    import csv

    import yaml

    from optline.consent import inbound
    from tests.helpers import import_people, person

    as_of = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
    import_people(conn, data_dir, "a.csv", [person("(415) 555-0163", "Cy")], as_of=as_of, lists=["Gone"])
    folder = data_dir / "inbound"
    folder.mkdir()
    with (folder / "t.csv").open("w", newline="") as fh:
        csv.writer(fh).writerows([["From", "Body", "Received At"], ["+14155550163", "YES", "2026-11-01 10:00"]])
    (folder / "t.manifest.yaml").write_text(yaml.safe_dump({"channel": "sms"}))
    inbound.apply_file(conn, folder / "t.csv", RunContext(as_of=as_of), data_dir / "reports")
    delete_contacts(conn, list_name="Gone", requested_by="test")
    rows = conn.execute("select from_raw, e164, body, number_hmac is not null from staging.inbound_messages").fetchall()
    assert rows == [(None, None, "YES", True)]
