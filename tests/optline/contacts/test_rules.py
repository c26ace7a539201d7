"""Each row rule, proven on a small real file: its stable reason code, column and message."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from optline import warehouse
from optline.consent import ledger as consent
from optline.contacts import rules
from optline.contacts.batch import load_batch
from optline.contacts.staging import stage_file
from optline.intake.manifest import parse_manifest
from optline.runs import RunContext
from tests.helpers import write_csv

HEADER = ["phone", "first_name", "last_name", "dob", "opt_in_date", "email", "company"]
AS_OF = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)


def row(phone="(415) 555-0101", first="Ann", last="Lee", dob="1990-01-02", opt_in="2026-10-01",
        email="", company="") -> list[str]:
    return [phone, first, last, dob, opt_in, email, company]


# One row per rule, with distinct numbers so no row is a duplicate of another by accident.
CASES: dict[str, list[str]] = {
    "accepted": row(),
    "blank_row": ["", "", "", "", "", "", ""],
    "malformed_row": row(phone="(415) 555-0102") + ["unexpected"],
    "missing_phone": row(phone=""),
    "excel_mangled_number": row(phone="4.15555E+09"),
    "invalid_number": row(phone="555-0100"),
    "not_us_ca": row(phone="+44 7400 123460"),
    "not_mobile": row(phone="+1 800 555 0199"),
    "missing_opt_in": row(phone="(415) 555-0103", opt_in=""),
    "invalid_opt_in": row(phone="(415) 555-0104", opt_in="last spring"),
    "future_opt_in": row(phone="(415) 555-0105", opt_in="2026-11-02"),
    "invalid_dob": row(phone="(415) 555-0106", dob="the 5th"),
    "missing_dob": row(phone="(415) 555-0107", dob=""),
    "under_age": row(phone="(415) 555-0108", dob="2008-11-02"),
    "field_too_long": row(phone="(415) 555-0109", first="A" * 51),
    "duplicate_in_file": row(first="ANN", last=" lee "),
    "stale_warned": row(phone="(415) 555-0110", opt_in="2026-04-30"),
    "exactly_18_today": row(phone="(415) 555-0111", dob="2008-11-01"),
    "previously_opted_out": row(phone="(415) 555-0112"),  # opted out in the ledger first (fixture)
}


def import_rows(conn, folder: Path, rows: list[list[str]], header=HEADER, **manifest) -> dict[int, dict]:
    """Stage and check a CSV of `rows`; return each row's outcome by row number."""
    manifest.setdefault("lists", ["Rules"])
    path = write_csv(folder / "rows.csv", [header, *rows], **manifest)
    m = parse_manifest(manifest)
    staged = stage_file(conn, path, m, RunContext(as_of=AS_OF))
    rules.check_batch(conn, load_batch(conn, staged.batch_id))
    cur = conn.execute(
        "select row_number, accepted, reason_code, reason_column, reason_detail, reasons, warnings, e164, "
        "opted_in_at from staging.row_outcomes where batch_id = ? order by row_number", [staged.batch_id])
    cols = [d[0] for d in cur.description]
    return {r[0]: dict(zip(cols, r)) for r in cur.fetchall()}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("rules")
    conn = warehouse.connect(folder / "w.duckdb")
    consent.append(conn, [consent.Event("+14155550112", "all", "opt_out", AS_OF - dt.timedelta(days=40),
                                        "inbound", "STOP")])
    by_row = import_rows(conn, folder, list(CASES.values()))
    conn.close()
    return {name: by_row[i] for i, name in enumerate(CASES, start=1)}


REJECTIONS = [name for name in CASES if name in rules.REASONS]


@pytest.mark.parametrize("code", REJECTIONS)
def test_row_rule_rejects_with_its_reason_code(outcomes, code):
    outcome = outcomes[code]
    assert not outcome["accepted"]
    assert outcome["reason_code"] == code
    assert outcome["reasons"][0] == code
    assert outcome["reason_detail"]


def test_every_reason_code_has_a_case_here():
    # stale_contact is tested with a reject policy below, formula_no_value with a workbook, the
    # line types with the Twilio Lookup stand-in (tests/optline/lookup/test_step.py; refused_line_type
    # shares their rule and is not exercised there)
    assert set(rules.REASONS) - set(REJECTIONS) == {"stale_contact", "formula_no_value", "landline", "fixed_voip",
                                                    "non_fixed_voip", "refused_line_type"}


@pytest.mark.parametrize("code,column", [
    ("missing_phone", "phone"), ("excel_mangled_number", "phone"), ("not_mobile", "phone"),
    ("missing_opt_in", "opted_in_at"), ("future_opt_in", "opted_in_at"), ("under_age", "dob"),
    ("field_too_long", "first_name"), ("duplicate_in_file", "phone"),
])
def test_reason_names_the_column(outcomes, code, column):
    assert outcomes[code]["reason_column"] == column


def test_valid_row_is_accepted_in_e164(outcomes):
    assert outcomes["accepted"]["accepted"]
    assert outcomes["accepted"]["e164"] == "+14155550101"
    assert outcomes["accepted"]["warnings"] == []


def test_duplicate_names_the_first_row_and_ignores_case_and_spaces(outcomes):
    assert "row 1" in outcomes["duplicate_in_file"]["reason_detail"]


def test_contact_older_than_recency_window_is_warned_not_rejected_by_default(outcomes):
    assert outcomes["stale_warned"]["accepted"]
    assert outcomes["stale_warned"]["warnings"] == ["stale_contact"]


def test_person_turning_18_on_the_import_day_is_accepted(outcomes):
    assert outcomes["exactly_18_today"]["accepted"]


def test_messages_never_contain_the_phone_number(outcomes):
    for outcome in outcomes.values():
        assert "555" not in (outcome["reason_detail"] or "")


def test_stale_contact_rejected_when_policy_says_reject(conn, tmp_path):
    got = import_rows(conn, tmp_path, [row(opt_in="2026-04-30")], policy_overrides={"recency_action": "reject"})
    assert got[1]["reason_code"] == "stale_contact"


def test_recent_last_contact_keeps_an_old_opt_in_recent(conn, tmp_path):
    header = [*HEADER, "last_contacted"]
    got = import_rows(conn, tmp_path, [row(opt_in="2025-01-01") + ["2026-09-30"]], header=header,
                      policy_overrides={"recency_action": "reject"})
    assert got[1]["accepted"]


def test_row_failing_several_rules_reports_the_most_important_first(conn, tmp_path):
    got = import_rows(conn, tmp_path, [row(phone="+1 800 555 0199", opt_in="", dob="2015-01-01")])
    assert got[1]["reasons"] == ["not_mobile", "missing_opt_in", "under_age"]
    assert got[1]["reason_code"] == "not_mobile"


def test_age_column_satisfies_the_age_rule_when_no_dob(conn, tmp_path):
    header = ["phone", "first_name", "age", "opt_in_date"]
    got = import_rows(conn, tmp_path, [["(415) 555-0101", "Ann", "25", "2026-10-01"],
                                       ["(415) 555-0102", "Bob", "16", "2026-10-01"]], header=header)
    assert got[1]["accepted"]
    assert (got[2]["reason_code"], got[2]["reason_column"]) == ("under_age", "age")


def test_alcohol_policy_needs_a_full_dob_and_21_years(conn, tmp_path):
    header = ["phone", "first_name", "age", "dob", "opt_in_date"]
    got = import_rows(conn, tmp_path, [
        ["(415) 555-0101", "Ann", "30", "", "2026-10-01"],
        ["(415) 555-0102", "Bob", "", "2006-01-01", "2026-10-01"],
        ["(415) 555-0103", "Cy", "", "2000-01-01", "2026-10-01"],
    ], header=header, policy="alcohol")
    assert got[1]["reason_code"] == "missing_dob"
    assert got[2]["reason_code"] == "under_age"
    assert got[3]["accepted"]


def test_non_us_list_accepts_numbers_from_other_countries(conn, tmp_path):
    got = import_rows(conn, tmp_path, [row(phone="+1 415 555 0101"), row(phone="07400 123456", first="Bo")],
                      default_country="GB")
    assert got[1]["accepted"] and got[2]["accepted"]
    assert got[2]["e164"] == "+447400123456"


def test_us_list_reads_slashed_dates_month_first_and_gb_list_day_first(conn, tmp_path):
    us = import_rows(conn, tmp_path / "us", [row(opt_in="03/04/2026")])
    gb = import_rows(conn, tmp_path / "gb", [row(phone="07400 123456", opt_in="03/04/2026")], default_country="GB")
    assert us[1]["opted_in_at"].date() == dt.date(2026, 3, 4)
    assert gb[1]["opted_in_at"].date() == dt.date(2026, 4, 3)


def test_field_limits_come_from_the_policy(conn, tmp_path):
    got = import_rows(conn, tmp_path, [row(company="C" * 20)], policy_overrides={"field_limits": {"company": 10}})
    assert got[1]["reason_code"] == "field_too_long"
    assert got[1]["reason_detail"] == "company is 20 characters; the limit is 10"


def test_opt_in_not_required_when_policy_allows(conn, tmp_path):
    got = import_rows(conn, tmp_path, [row(opt_in="", dob="")],
                      policy_overrides={"require_opt_in": False, "require_age_or_dob": False})
    assert got[1]["accepted"]


def test_check_refuses_to_pass_a_batch_whose_counts_do_not_reconcile(conn, tmp_path):
    path = write_csv(tmp_path / "rows.csv", [HEADER, row()], lists=["Rules"])
    staged = stage_file(conn, path, parse_manifest({"lists": ["Rules"]}), RunContext(as_of=AS_OF))
    conn.execute("update ops.batches set lines_read = 2 where batch_id = ?", [staged.batch_id])
    with pytest.raises(rules.ReconciliationError, match="lines read 2 != loaded 1 \\+ rejected 0"):
        rules.check_batch(conn, load_batch(conn, staged.batch_id))
    status = conn.execute("select status from ops.batches where batch_id = ?", [staged.batch_id]).fetchone()[0]
    assert status == "staged"
    assert conn.execute("select count(*) from staging.row_outcomes").fetchone()[0] == 0


def test_the_phone_length_limit_measures_the_number_as_stored_not_the_cell(conn, tmp_path):
    # 17 characters as written, 12 as stored (+13125550112): within the default limit of 16
    got = import_rows(conn, tmp_path, [row(phone="+1 (312) 555-0112"), row(phone="+1 (312) 555-0113", first="Bo")],
                      policy_overrides={"field_limits": {"phone": 12}})
    assert got[1]["accepted"] and got[1]["e164"] == "+13125550112"
    tight = import_rows(conn, tmp_path / "tight", [row(phone="+1 (312) 555-0114")],
                        policy_overrides={"field_limits": {"phone": 11}})
    assert tight[1]["reason_code"] == "field_too_long"
    assert tight[1]["reason_detail"] == "phone is 12 characters; the limit is 11"


def test_a_workbook_cell_with_a_formula_and_no_saved_value_rejects_its_row_naming_the_cell(conn, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(row())
    sheet.append(row(phone="=B3"))  # written by a script, never opened in Excel: no cached value
    path = tmp_path / "formulas.xlsx"
    book.save(path)
    m = parse_manifest({"lists": ["Rules"]})
    staged = stage_file(conn, path, m, RunContext(as_of=AS_OF))
    result = rules.check_batch(conn, load_batch(conn, staged.batch_id))
    assert (result.lines_read, result.rows_loaded, result.rows_rejected) == (2, 1, 1)
    code, detail = conn.execute(
        "select reason_code, reason_detail from staging.row_outcomes where batch_id = ? and row_number = 2",
        [staged.batch_id]).fetchone()
    assert code == "formula_no_value"
    assert "A3" in detail and "formula" in detail
