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


def test_a_deleted_numbers_received_texts_keep_their_evidence_but_not_the_number_or_text(conn, data_dir):
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
    rows = conn.execute("select from_raw, e164, body, keyword, intent, number_hmac is not null "
                        "from staging.inbound_messages").fetchall()
    assert rows == [(None, None, None, "YES", "opt_in", True)]


# --- the full PII scan: every table of every schema, every report file --------------------------

from pathlib import Path  # noqa: E402

from optline import warehouse  # noqa: E402
from optline.contacts import gate  # noqa: E402
from optline.contacts.batch import load_batch  # noqa: E402
from optline.masking import mask_phone, mask_text  # noqa: E402

WIDE = ["phone", "first_name", "last_name", "email", "dob", "opt_in"]
HOLD = {"gate": {"review_max_rejected_share": 0.0, "critical_max_rejected_share": 1.0,
                 "critical_max_missing_opt_in_share": 1.0, "critical_max_under_age_share": 1.0,
                 "review_max_stale_share": 1.0}}
REJECT = {"gate": {**HOLD["gate"], "critical_max_rejected_share": 0.0}}
# The person deleted: every form her data takes in the inputs.
ANNABEL = {
    "digits": "4155550101",
    "raw": ["(415) 555-0101", "415.555.0101", "+1 415 555 0101", "+14155550101"],
    "text": ["Annabel", "Quenneville", "annabel.q@example.org", "1987-06-05", "06/05/1987"],
}
BORIS = ["(415) 555-0192", "Boris", "Kowalczyk", "boris.k@example.org", "03/04/1970", "2026-10-01"]
CARL = ["(415) 555-0183", "Carl", "Zamora", "carl.z@example.org", "07/08/1980", "2026-10-01"]


def wide(conn, data_dir, name, rows, **manifest):
    path = write_csv(data_dir / "inbox" / name, [WIDE, *rows], **manifest)
    return pipeline.import_file(conn, path, RunContext(as_of=AS_OF, dag_id="test"), data_dir / "reports")


def build_world(conn, data_dir) -> dict[str, int]:
    """Annabel everywhere: a merged batch, a welcome, an opt-out file, a STOP text, a held batch
    and a rejected batch (both refusing her as opted out); Boris and Carl stay."""
    import csv

    import yaml

    from optline.consent import inbound, optouts
    from optline.messaging import outbox
    from optline.messaging.settings import WelcomeSettings

    merged = wide(conn, data_dir, "a.csv", [["(415) 555-0101", "Annabel", "Quenneville", "annabel.q@example.org",
                                             "06/05/1987", "2026-10-01"]], lists=["Gone"], tags=["vip"])
    wide(conn, data_dir, "b.csv", [BORIS], lists=["Kept"])
    outbox.enqueue_welcomes(conn, WelcomeSettings(), AS_OF)
    folder = data_dir / "optouts"
    folder.mkdir()
    with (folder / "o.csv").open("w", newline="") as fh:
        csv.writer(fh).writerows([["Phone", "First Name", "Last Name", "Email"],
                                  ["415.555.0101", "Annabel", "Quenneville", "annabel.q@example.org"]])
    (folder / "o.manifest.yaml").write_text(yaml.safe_dump({"source": "crm export"}))
    optouts.apply_file(conn, folder / "o.csv", RunContext(as_of=AS_OF), data_dir / "reports")
    texts = data_dir / "inbound"
    texts.mkdir()
    with (texts / "t.csv").open("w", newline="") as fh:
        csv.writer(fh).writerows([["From", "Body", "Received At"],
                                  ["+1 415 555 0101", "STOP this is Annabel Quenneville", "2026-11-01 10:00"]])
    (texts / "t.manifest.yaml").write_text(yaml.safe_dump({"channel": "sms"}))
    inbound.apply_file(conn, texts / "t.csv", RunContext(as_of=AS_OF), data_dir / "reports")
    held = wide(conn, data_dir, "h.csv", [["+1 415 555 0101", "Annabel", "Quenneville", "annabel.q@example.org",
                                           "06/05/1987", "2026-10-05"], CARL], lists=["Kept"], policy_overrides=HOLD)
    rejected = wide(conn, data_dir, "r.csv", [["(415) 555-0101", "Annabel", "Quenneville", "annabel.q@example.org",
                                               "06/05/1987", "2026-10-06"]], lists=["Kept"], policy_overrides=REJECT)
    assert (merged.status, held.status, rejected.status) == ("merged", "awaiting_review", "rejected")
    return {"merged": merged.batch_id, "held": held.batch_id, "rejected": rejected.batch_id}


def warehouse_pii(conn, person: dict) -> list[str]:
    """`schema.table.column: needle` for every column of every table (duckdb_columns) that still
    holds the person's digits (any format: compared digit for digit) or any of her texts."""
    columns = conn.execute("""select c.schema_name, c.table_name, c.column_name
        from duckdb_columns() as c inner join duckdb_tables() as t
            on c.database_name = t.database_name and c.schema_name = t.schema_name and c.table_name = t.table_name
        where c.database_name = current_database() or c.database_name = 'temp'
        order by all""").fetchall()
    found = []
    for schema, table, column in columns:
        value = f'cast("{column}" as varchar)'
        digits = conn.execute(f"""select count(*) from "{schema}"."{table}"
            where strpos(regexp_replace({value}, '[^0-9]', '', 'g'), ?) > 0""", [person["digits"]]).fetchone()[0]
        if digits:
            found.append(f"{schema}.{table}.{column}: digits")
        for needle in person["raw"] + person["text"]:
            hits = conn.execute(f"""select count(*) from "{schema}"."{table}"
                where strpos(lower({value}), lower(?)) > 0""", [needle]).fetchone()[0]
            if hits:
                found.append(f"{schema}.{table}.{column}: {needle}")
    return found


def reports_pii(reports: Path, person: dict) -> list[str]:
    """`file: needle` for every file under the reports folder that names the person: her values,
    or the masked forms the reports show them in (last two digits, first letter and length)."""
    needles = [person["digits"], *person["raw"], *person["text"]]
    needles += [mask_phone(raw) for raw in person["raw"]] + [mask_text(t) for t in person["text"][:3]]
    found = []
    for path in sorted(p for p in reports.rglob("*") if p.is_file()):
        text = path.read_text(encoding="utf-8-sig", errors="replace")
        digits_only = "".join(ch for ch in text if ch.isdigit() or ch == "\n")
        found += [f"{path.relative_to(reports)}: {n}" for n in needles if n.lower() in text.lower()]
        if any(person["digits"] in line for line in digits_only.splitlines()):
            found.append(f"{path.relative_to(reports)}: digits")
    return found


DELETIONS = {
    "all": {"everyone": True},
    "list": {"list_name": "Gone"},
    "number": {"number": "+1 415 555 0101"},
}


@pytest.mark.parametrize("kind", DELETIONS)
def test_after_each_kind_of_deletion_no_trace_of_the_person_is_left_in_warehouse_or_reports(conn, data_dir, kind):
    batches = build_world(conn, data_dir)
    assert warehouse_pii(conn, ANNABEL) and reports_pii(data_dir / "reports", ANNABEL)  # the scan sees her
    assert conn.execute("select count(*) from staging.row_contacts").fetchone()[0] > 0
    delete_contacts(conn, requested_by="dpo", **DELETIONS[kind])
    assert warehouse_pii(conn, ANNABEL) == []
    assert reports_pii(data_dir / "reports", ANNABEL) == []
    # no lineage row is left pointing at a deleted staged row or a deleted contact
    assert conn.execute("""select count(*) from staging.row_contacts as rc
        where not exists (select 1 from staging.contact_rows as r
                          where r.batch_id = rc.batch_id and r.row_number = rc.row_number)
           or rc.contact_id not in (select contact_id from core.contacts)""").fetchone()[0] == 0
    if kind != "all":  # the others keep theirs
        assert conn.execute("select first_name from core.contacts").fetchall() == [("Boris",)]
        assert conn.execute("select first_name from staging.row_outcomes where batch_id = ?",
                            [batches["held"]]).fetchall() == [("Carl",)]
    # her opt-outs still hold: importing her again is refused
    again = wide(conn, data_dir, "again.csv", [["415 555 0101", "Annabel", "Quenneville", "", "06/05/1987",
                                                "2026-10-20"]], lists=["L"])
    assert again.rejected_by_reason == {"previously_opted_out": 1}


@pytest.mark.parametrize("kind", ["list_sharing_the_number", "all"])
def test_a_held_batch_approved_after_a_deletion_merges_none_of_the_deleted_people(conn, data_dir, kind):
    wide(conn, data_dir, "a.csv", [["(415) 555-0101", "Annabel", "Quenneville", "", "06/05/1987", "2026-10-01"]],
         lists=["Gone"])
    wide(conn, data_dir, "b.csv", [["(415) 555-0101", "Boris", "Kowalczyk", "", "03/04/1970", "2026-10-01"]],
         lists=["Kept"])  # Boris shares her number: it stays
    held = wide(conn, data_dir, "h.csv", [
        ["415.555.0101", "Annabel", "Quenneville", "", "06/05/1987", "2026-10-05"],
        ["(415) 555-0174", "Eli", "Okafor", "", "01/02/1985", "2026-10-05"],
        ["(415) 555-0175", "Fay", "Nolan", "", "01/02/1985", ""],  # no opt-in: rejected, so the batch is held
    ], lists=["Kept"], policy_overrides=HOLD)
    assert held.status == "awaiting_review"
    delete_contacts(conn, requested_by="dpo", **({"everyone": True} if kind == "all" else {"list_name": "Gone"}))
    decided = gate.record_decision(conn, load_batch(conn, held.batch_id), "approved", "reviewer", "looks fine")
    pipeline.merge(conn, decided, data_dir / "reports")
    names = sorted(n for (n,) in conn.execute("select first_name from core.contacts").fetchall())
    assert names == ([] if kind == "all" else ["Boris", "Eli"])
    rejects = warehouse.run(conn, "reports/batch_rejects", batch_id=held.batch_id, max_rows=1_000_000).fetchall()
    assert "Annabel" not in str(rejects)


def test_deleting_one_number_records_its_hmac_and_who_asked(conn, data_dir):
    from optline.config import hmac_key
    from optline.phones import number_hmac

    wide(conn, data_dir, "a.csv", [["(415) 555-0101", "Annabel", "Quenneville", "", "06/05/1987", "2026-10-01"],
                                   BORIS], lists=["Gone"])
    result = delete_contacts(conn, number="415-555-0101", default_country="US", requested_by="dpo")
    assert (result.contacts_deleted, result.numbers_deleted) == (1, 1)
    assert conn.execute("select scope, list_name, number_hmac, requested_by from ops.deletions").fetchall() == [
        ("number", None, number_hmac("+14155550101", hmac_key()), "dpo")]
    assert conn.execute("select first_name from core.contacts").fetchall() == [("Boris",)]


def test_deleting_a_number_that_does_not_parse_says_so_and_deletes_nothing(conn, data_dir):
    wide(conn, data_dir, "a.csv", [BORIS], lists=["Kept"])
    with pytest.raises(ValueError, match="not a valid phone number"):
        delete_contacts(conn, number="555-01", requested_by="dpo")
    assert conn.execute("select count(*) from core.contacts").fetchone()[0] == 1
    assert conn.execute("select count(*) from ops.deletions").fetchone()[0] == 0


def test_on_a_lake_a_deleted_person_is_gone_from_every_snapshot_and_every_data_file(data_dir, monkeypatch):
    """A lake keeps every snapshot for time travel: the deletion expires them, so no version an
    analyst can ask for, and no Parquet file left on disk, still holds the person."""
    from optline import warehouse

    monkeypatch.setenv("OPTLINE_WAREHOUSE_FORMAT", "ducklake")
    conn = warehouse.connect(data_dir / "lake.sqlite")
    imported(conn, data_dir, "a.csv", [["(415) 555-0101", "Annabel", "1990-01-01", "2026-10-01"]] * 1
             + [[f"(415) 555-{n:04d}", f"Kept{n}", "1990-01-01", "2026-10-01"] for n in range(200, 260)],
             lists=["L"])
    versions = [v for (v,) in conn.execute("select snapshot_id from ducklake_snapshots(current_database())").fetchall()]
    seen_before = conn.execute(f"select count(*) from core.contacts at (version => {versions[-1]}) "
                               "where first_name = 'Annabel'").fetchone()[0]
    assert seen_before == 1 and len(versions) > 3

    delete_contacts(conn, number="+1 415 555 0101", requested_by="dpo")

    assert pii_left(conn, "+14155550101", "Annabel") == []
    for (version,) in conn.execute("select snapshot_id from ducklake_snapshots(current_database())").fetchall():
        assert conn.execute(f"select count(*) from core.contacts at (version => {version}) "
                            "where first_name = 'Annabel'").fetchone()[0] == 0
    with pytest.raises(Exception, match="(?i)snapshot|version"):
        conn.execute(f"select count(*) from core.contacts at (version => {versions[-1] - 1})").fetchall()
    files = list((data_dir / "lake.files").rglob("*.parquet"))
    assert files and not [f for f in files if b"Annabel" in f.read_bytes() or b"4155550101" in f.read_bytes()]
    assert conn.execute("select count(*) from core.contacts").fetchone()[0] == 60
