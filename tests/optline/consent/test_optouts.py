"""Bulk opt-out files: matching rules, scopes, suppression of unknown numbers, invalid rows,
reconciliation, idempotence and all-or-nothing files, on real DuckDB warehouses.

The contacts are imported once per module through the real contact pipeline into a
template warehouse file; each test works on its own copy of that file.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml

from optline import warehouse
from optline.consent import ledger as consent
from optline.consent import optouts
from optline.contacts import pipeline
from optline.intake.manifest import ManifestError
from optline.intake.readers import MalformedFileError
from optline.runs import RunContext
from tests.conftest import AS_OF
from tests.helpers import OPEN_GATE, warehouse_snapshot, write_csv

RUN = RunContext(as_of=AS_OF, dag_id="optout_import", run_id="test-run")
DAY = "2026-10-20"

# number, first, last, email, address, company: the people the opt-outs are about
CONTACTS = [
    ("(415) 555-0101", "Ann", "Lee", "ann@example.com", "1 Main St", "Acme"),
    ("(415) 555-0102", "Bob", "Ng", "bob@example.com", "", ""),
    ("(415) 555-0103", "Cy", "Roy", "", "12 Oak Ave", "Initech"),      # Cy and Di share a number
    ("(415) 555-0103", "Di", "Kim", "", "99 Elm Rd", "Globex"),
    ("(415) 555-0104", "Eve", "Park", "", "5 Pine St", "Acme"),        # Eve and Fay share a number
    ("(415) 555-0104", "Fay", "Park", "", "7 Birch Ln", "Globex"),
    ("(415) 555-0106", "Hal", "Ito", "family@example.com", "", ""),    # Hal and Ida share an email
    ("(415) 555-0107", "Ida", "Ito", "family@example.com", "", ""),
]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse holding CONTACTS, imported by the contact pipeline."""
    root = tmp_path_factory.mktemp("optout-template")
    source = write_csv(root / "inbox" / "contacts.csv",
                       [["phone", "first_name", "last_name", "email", "address", "company", "dob", "opt_in"],
                        *[[*c, "1990-01-01", "2026-10-01"] for c in CONTACTS]], policy_overrides=OPEN_GATE)
    conn = warehouse.connect(root / "warehouse.duckdb")
    summary = pipeline.import_file(conn, source, RunContext(as_of=AS_OF), root / "reports")
    assert summary.status == "merged" and summary.new_contacts == len(CONTACTS)
    conn.close()
    return root / "warehouse.duckdb"


@pytest.fixture
def wh(data_dir: Path, template: Path):
    target = data_dir / "warehouse.duckdb"
    shutil.copy(template, target)
    conn = warehouse.connect(target)
    yield conn
    conn.close()


def contact_id(conn, first: str) -> int:
    return conn.execute("select contact_id from core.contacts where first_name = ?", [first]).fetchone()[0]


def write_optout_manifest(path: Path, **manifest) -> Path:
    manifest.setdefault("source", "test unsubscribe export")
    manifest.setdefault("method", "bulk_file")
    out = path.with_name(f"{path.name.split('.')[0]}.manifest.yaml")
    out.write_text(yaml.safe_dump(manifest), encoding="utf-8")
    return out


def write_optouts(path: Path, rows: list[list[str]], **manifest) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    write_optout_manifest(path, **manifest)
    return path


def apply(conn, data_dir: Path, rows: list[list[str]], name: str = "optouts.csv", **manifest) -> optouts.OptoutResult:
    path = write_optouts(data_dir / "optouts" / name, rows, **manifest)
    return optouts.apply_file(conn, path, RUN, data_dir / "reports")


def outcomes(conn, batch_id: int) -> list[tuple]:
    """(outcome, reason_code, matched_by, matched contact ids) per row, in row order."""
    return conn.execute("""select outcome, reason_code, matched_by,
            list_sort(list_transform(matches, m -> m.contact_id))
        from staging.optout_outcomes where batch_id = ? order by row_number""", [batch_id]).fetchall()


def events(conn, batch_id: int) -> list[tuple]:
    return conn.execute("""select scope, kind, effective_at, contact_id, row_number, source, method, dag_id, run_id
        from core.consent_events where batch_id = ? order by event_id""", [batch_id]).fetchall()


def suppressed(conn, e164: str) -> dict[str, bool]:
    return {ch: consent.is_suppressed(conn, e164, ch) for ch in ("sms", "whatsapp")}


# --- matching rules --------------------------------------------------------------------------

def test_a_contact_id_row_suppresses_that_contacts_number_with_the_rows_date(wh, data_dir):
    bob = contact_id(wh, "Bob")
    s = apply(wh, data_dir, [["Contact ID", "Opt Out Date"], [str(bob), DAY]])
    assert (s.matched, s.suppressed_unmatched, s.invalid, s.events_appended) == (1, 0, 0, 1)
    assert outcomes(wh, s.batch_id) == [("matched", None, "contact_id", [bob])]
    when = dt.datetime(2026, 10, 20, tzinfo=dt.UTC)
    assert events(wh, s.batch_id) == [("all", "opt_out", when, bob, 1, "test unsubscribe export", "bulk_file",
                                       "optout_import", "test-run")]
    assert suppressed(wh, "+14155550102") == {"sms": True, "whatsapp": True}
    assert suppressed(wh, "+14155550101") == {"sms": False, "whatsapp": False}


def test_a_number_shared_by_several_contacts_matches_them_all_when_nothing_narrows(wh, data_dir):
    s = apply(wh, data_dir, [["Mobile Number", "Opted Out"], ["415.555.0103", DAY]])
    assert outcomes(wh, s.batch_id) == [
        ("matched", None, "number", sorted([contact_id(wh, "Cy"), contact_id(wh, "Di")]))]
    # one event for the number; no single contact to name
    assert [(e[0], e[3]) for e in events(wh, s.batch_id)] == [("all", None)]
    assert suppressed(wh, "+14155550103")["sms"]


def test_names_narrow_a_shared_number_to_the_named_contact(wh, data_dir):
    s = apply(wh, data_dir, [["Phone", "First Name", "Surname", "Date"],
                             ["+1 415 555 0103", "di", "KIM", DAY],
                             ["+1 415 555 0103", "Zed", "Nobody", DAY]])
    assert outcomes(wh, s.batch_id) == [("matched", None, "number", [contact_id(wh, "Di")]),
                                        ("suppressed_unmatched", None, "number", [])]
    # the number is suppressed once per file and scope, naming the matched contact
    assert [(e[3], e[4]) for e in events(wh, s.batch_id)] == [(contact_id(wh, "Di"), 1)]


def test_extra_columns_narrow_a_shared_number_and_never_unmatch_a_row(wh, data_dir):
    s = apply(wh, data_dir, [["phone", "employer", "address", "opt_out_date"],
                             ["(415) 555-0104", "GLOBEX", "", DAY],
                             ["(415) 555-0104", "", "5 pine st.", DAY],
                             ["(415) 555-0104", "Umbrella", "", DAY],
                             ["(415) 555-0101", "Umbrella", "", DAY]])
    eve, fay = contact_id(wh, "Eve"), contact_id(wh, "Fay")
    assert outcomes(wh, s.batch_id) == [("matched", None, "number", [fay]),
                                        ("matched", None, "number", [eve]),
                                        ("matched", None, "number", sorted([eve, fay])),
                                        ("matched", None, "number", [contact_id(wh, "Ann")])]


def test_an_email_matches_case_insensitively_and_suppresses_each_matched_number(wh, data_dir):
    hal, ida = contact_id(wh, "Hal"), contact_id(wh, "Ida")
    s = apply(wh, data_dir, [["email", "first_name", "unsubscribed_at"],
                             ["FAMILY@Example.com ", "", DAY],
                             ["family@example.com", "Ida", DAY]])
    assert outcomes(wh, s.batch_id) == [("matched", None, "email", [hal, ida]),
                                        ("matched", None, "email", [ida])]
    # one event per number and scope: Hal's and Ida's numbers, from the first row
    assert sorted((e[3], e[4]) for e in events(wh, s.batch_id)) == [(hal, 1), (ida, 1)]
    assert suppressed(wh, "+14155550106")["sms"] and suppressed(wh, "+14155550107")["whatsapp"]


# --- scopes ----------------------------------------------------------------------------------

@pytest.mark.parametrize("scope, expected", [("all", {"sms": True, "whatsapp": True}),
                                             ("sms", {"sms": True, "whatsapp": False}),
                                             ("whatsapp", {"sms": False, "whatsapp": True})])
def test_the_manifest_scope_suppresses_exactly_its_channels(wh, data_dir, scope, expected):
    s = apply(wh, data_dir, [["phone", "date"], ["(415) 555-0101", DAY]], scope=scope)
    assert [e[0] for e in events(wh, s.batch_id)] == [scope]
    assert suppressed(wh, "+14155550101") == expected


def test_a_scope_column_overrides_the_manifest_per_row(wh, data_dir):
    s = apply(wh, data_dir, [["phone", "date", "Opt-out Type"],
                             ["(415) 555-0101", DAY, "10DLC Local"],
                             ["(415) 555-0102", DAY, "WhatsApp"],
                             ["(415) 555-0106", DAY, ""],
                             ["(415) 555-0107", DAY, "carrier pigeon"]], scope="all")
    assert [e[0] for e in events(wh, s.batch_id)] == ["sms", "whatsapp", "all"]
    assert suppressed(wh, "+14155550101") == {"sms": True, "whatsapp": False}
    assert suppressed(wh, "+14155550102") == {"sms": False, "whatsapp": True}
    assert suppressed(wh, "+14155550106") == {"sms": True, "whatsapp": True}
    assert outcomes(wh, s.batch_id)[3][:2] == ("invalid", "invalid_scope")
    assert suppressed(wh, "+14155550107") == {"sms": False, "whatsapp": False}


# --- unmatched numbers stay suppressed -------------------------------------------------------

def test_an_unknown_number_is_suppressed_and_a_later_import_refuses_it(wh, data_dir):
    s = apply(wh, data_dir, [["phone", "date"], ["(415) 555-0190", DAY], ["(415) 555-0102", DAY]], scope="sms")
    assert [o[0] for o in outcomes(wh, s.batch_id)] == ["suppressed_unmatched", "matched"]
    assert events(wh, s.batch_id)[0][3] is None
    assert suppressed(wh, "+14155550190") == {"sms": True, "whatsapp": False}

    later = write_csv(data_dir / "inbox" / "later.csv",
                      [["phone", "first_name", "dob", "opt_in"],
                       ["415-555-0190", "New", "1990-01-01", "2026-10-25"],
                       ["(415) 555-0102", "Bob", "1990-01-01", "2026-10-25"],
                       ["(415) 555-0108", "Fresh", "1990-01-01", "2026-10-25"]])
    imported = pipeline.import_file(wh, later, RunContext(as_of=AS_OF), data_dir / "reports")
    reasons = wh.execute("select reason_code from staging.row_outcomes where batch_id = ? order by row_number",
                         [imported.batch_id]).fetchall()
    assert [r[0] for r in reasons] == ["previously_opted_out", "previously_opted_out", None]
    assert wh.execute("select count(*) from core.contacts where e164 = '+14155550190'").fetchone()[0] == 0


def test_a_whatsapp_opt_out_does_not_refuse_an_sms_import(wh, data_dir):
    apply(wh, data_dir, [["phone", "date"], ["(415) 555-0191", DAY]], scope="whatsapp")
    later = write_csv(data_dir / "inbox" / "sms.csv", [["phone", "first_name", "dob", "opt_in"],
                                                      ["(415) 555-0191", "Sam", "1990-01-01", "2026-10-25"]])
    imported = pipeline.import_file(wh, later, RunContext(as_of=AS_OF), data_dir / "reports")
    assert imported.rows_loaded == 1 and imported.rows_rejected == 0


# --- invalid rows and reconciliation ---------------------------------------------------------

def test_invalid_rows_get_a_reason_code_and_append_nothing(wh, data_dir):
    bob = contact_id(wh, "Bob")
    rows = [["contact_id", "phone", "email", "date"],
            ["", "", "", ""],                                  # blank_row
            ["", "", "", DAY],                                 # missing_identifier
            ["C-12", "", "", DAY],                             # invalid_contact_id
            ["987654", "", "", DAY],                           # unknown_contact_id
            ["", "555-01", "", DAY],                           # invalid_number
            ["", "4.15555E+09", "", DAY],                      # excel_mangled_number
            ["", "", "nobody@example.com", DAY],               # unknown_email
            ["", "(415) 555-0101", "", "31/31/2026"],          # invalid_opt_out_date
            ["", "(415) 555-0101", "", "2027-01-01"],          # future_opt_out_date
            [str(bob), "(415) 555-0101", "", DAY],             # contact_number_mismatch
            ["", "(415) 555-0101", "", DAY, "surplus"]]        # malformed_row
    s = apply(wh, data_dir, rows)
    expected = ["blank_row", "missing_identifier", "invalid_contact_id", "unknown_contact_id", "invalid_number",
                "excel_mangled_number", "unknown_email", "invalid_opt_out_date", "future_opt_out_date",
                "contact_number_mismatch", "malformed_row"]
    assert [(o[0], o[1]) for o in outcomes(wh, s.batch_id)] == [("invalid", r) for r in expected]
    assert s.invalid_by_reason == {r: 1 for r in expected}
    assert events(wh, s.batch_id) == []
    assert suppressed(wh, "+14155550101") == {"sms": False, "whatsapp": False}


def test_lines_read_equal_matched_plus_suppressed_unmatched_plus_invalid(wh, data_dir):
    s = apply(wh, data_dir, [["phone", "first_name", "date"],
                             ["(415) 555-0101", "", DAY], ["(415) 555-0192", "", DAY], ["bad", "", DAY],
                             ["(415) 555-0103", "Nobody", DAY], ["", "", ""]])
    stored = wh.execute("""select lines_read, rows_matched, rows_suppressed_unmatched, rows_invalid, events_appended
        from ops.optout_batches where batch_id = ?""", [s.batch_id]).fetchone()
    assert stored == (5, 1, 2, 2, 3)
    assert stored[0] == stored[1] + stored[2] + stored[3]


def test_reconciliation_refuses_counts_that_do_not_add_up():
    counts = {"rows_judged": 5, "rows_matched": 2, "rows_suppressed_unmatched": 1, "rows_invalid": 1}
    with pytest.raises(optouts.ReconciliationError, match="a.csv: read 5 rows"):
        optouts.reconcile("a.csv", 5, 5, counts)
    optouts.reconcile("a.csv", 4, 4, {**counts, "rows_judged": 4})


# --- idempotence, all-or-nothing, dates ------------------------------------------------------

def test_applying_the_same_file_again_under_any_name_leaves_the_warehouse_identical(wh, data_dir):
    rows = [["phone", "date"], ["(415) 555-0101", DAY], ["(415) 555-0193", DAY]]
    first = apply(wh, data_dir, rows)
    before = warehouse_snapshot(wh)
    again = apply(wh, data_dir, rows)
    renamed = apply(wh, data_dir, rows, name="copy_of_optouts.csv")
    assert (again.status, again.batch_id, again.events_appended) == ("already applied", first.batch_id, 0)
    assert renamed.batch_id == first.batch_id
    assert warehouse_snapshot(wh) == before
    # other settings make it another batch
    other = apply(wh, data_dir, rows, name="sms_only.csv", scope="sms")
    assert other.batch_id != first.batch_id and other.events_appended == 2


def test_a_malformed_file_or_manifest_leaves_the_warehouse_untouched(wh, data_dir):
    before = warehouse_snapshot(wh)
    broken = write_optouts(data_dir / "optouts" / "broken.csv", [["phone", "date"], ["(415) 555-0101", DAY]])
    broken.write_text(broken.read_text() + '(415) 555-0102,"2026-10-20\n', encoding="utf-8")
    with pytest.raises(MalformedFileError, match=r"broken.csv, line 3"):
        optouts.apply_file(wh, broken, RUN, data_dir / "reports")
    no_id = write_optouts(data_dir / "optouts" / "no_id.csv", [["name", "date"], ["Ann", DAY]])
    with pytest.raises(MalformedFileError, match="no contact id, phone or email column"):
        optouts.apply_file(wh, no_id, RUN, data_dir / "reports")
    bad_scope = write_optouts(data_dir / "optouts" / "scope.csv", [["phone"], ["(415) 555-0101"]], scope="email")
    with pytest.raises(ManifestError, match=r"scope.manifest.yaml: `scope`"):
        optouts.apply_file(wh, bad_scope, RUN, data_dir / "reports")
    assert warehouse_snapshot(wh) == before


def test_rows_without_a_date_take_the_files_arrival_time(wh, data_dir):
    path = write_optouts(data_dir / "optouts" / "nodate.txt", [["(415) 555-0101"], ["4155550102"]])
    arrived = dt.datetime(2026, 10, 15, 8, 30, tzinfo=dt.UTC)
    os.utime(path, (arrived.timestamp(), arrived.timestamp()))
    s = optouts.apply_file(wh, path, RUN, data_dir / "reports")
    assert s.matched == 2
    assert {e[2] for e in events(wh, s.batch_id)} == {arrived}


def test_an_xlsx_file_with_mapped_columns_and_date_cells_is_applied(wh, data_dir):
    import openpyxl

    path = data_dir / "optouts" / "crm.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    book = openpyxl.Workbook()
    book.active.append(["Who", "Cell", "When"])
    book.active.append(["Ann", 4155550101, dt.date(2026, 10, 18)])
    book.save(path)
    write_optout_manifest(path, columns={"first_name": "Who", "phone": 2, "opt_out_date": "When"})
    s = optouts.apply_file(wh, path, RUN, data_dir / "reports")
    assert outcomes(wh, s.batch_id) == [("matched", None, "number", [contact_id(wh, "Ann")])]
    assert events(wh, s.batch_id)[0][2] == dt.datetime(2026, 10, 18, tzinfo=dt.UTC)


# --- the report ------------------------------------------------------------------------------

def test_the_report_counts_by_outcome_and_reason_and_masks_every_number(wh, data_dir):
    s = apply(wh, data_dir, [["phone", "date"], ["(415) 555-0101", DAY], ["(415) 555-0194", DAY],
                             ["=HYPERLINK(\"x\")", DAY]])
    out = Path(s.report_dir)
    assert out == data_dir / "reports" / "optouts" / f"{s.batch_id:06d}"
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["matched"], summary["suppressed_unmatched"], summary["invalid"]) == (1, 1, 1)
    assert summary["invalid_by_reason"] == {"invalid_number": 1}
    text = (out / "rows.csv").read_text(encoding="utf-8-sig")
    assert not re.search(r"555.?01\d\d", text)
    rows = list(csv.DictReader(text.splitlines()))
    assert [r["outcome"] for r in rows] == ["matched", "suppressed_unmatched", "invalid"]
    assert rows[2]["phone"].startswith("'=")  # a formula is neutralized
    assert "invalid rows by reason: invalid_number 1" in optouts.format_summary([s])


def test_header_variants_are_recognized_without_a_mapping():
    assert [optouts.field_for(h) for h in ("Contact ID", "id", "Primary Phone", "Cell #", "E-mail", "Opted Out",
                                           "unsubscribed_at", "Employer", "Street Address", "Scope", "Notes")] == [
        "contact_id", "contact_id", "phone", "phone", "email", "opt_out_date", "opt_out_date", "company",
        "address_line1", "scope", None]


def test_demo_samples_match_the_demo_contacts(data_dir):
    from optline import samples

    conn = warehouse.connect(data_dir / "warehouse.duckdb")
    try:
        samples.write_samples(data_dir / "inbox", AS_OF.date())
        pipeline.import_file(conn, data_dir / "inbox" / "store_events.xlsx", RunContext(as_of=AS_OF),
                             data_dir / "reports")
        written = optouts.write_samples(data_dir / "optouts", AS_OF.date())
        assert optouts.write_samples(data_dir / "optouts", AS_OF.date()) == []  # kept, not rewritten
        [s] = optouts.apply_inbox(conn, data_dir / "optouts", RUN, data_dir / "reports")
    finally:
        conn.close()
    assert [p.name for p in written] == ["support_desk_unsubscribes.csv"]
    assert (s.lines_read, s.matched, s.suppressed_unmatched, s.invalid) == (6, 3, 1, 2)
    assert s.invalid_by_reason == {"invalid_number": 1, "invalid_opt_out_date": 1}
