"""Workbooks: old Excel XLS (read by python-calamine), XLSX formulas with no saved value, and
workbooks of several sheets (the one named in the manifest, else the first; the others reported)."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import openpyxl
import pytest

from optline.contacts.staging import stage_file
from optline.intake.manifest import load_manifest
from optline.intake.readers import (
    FORMULA_NO_VALUE,
    FileLimits,
    MalformedFileError,
    open_records,
    read_xls,
    read_xlsx,
    record_issue,
)
from optline.runs import RunContext
from tests.helpers import write_manifest

FIXTURES = Path(__file__).with_name("fixtures")


def _xls(tmp_path: Path, name: str = "contacts.xls") -> Path:
    """contacts.xls (fixtures/make_contacts_xls.py): sheets Contacts and Leads."""
    return Path(shutil.copy(FIXTURES / "contacts.xls", tmp_path / name))


# --- XLS ------------------------------------------------------------------------------------

def test_xls_cells_read_as_excel_shows_them(tmp_path: Path) -> None:
    rows = list(read_xls(_xls(tmp_path)))
    assert rows[0] == (1, ["Phone", "First Name", "DOB", "Member No"])
    assert rows[1] == (2, ["4155550101", "Ann", "1990-05-17", "1.23457E+15"])  # 16 digits: as Excel shows it
    assert rows[2][0] == 3 and not any(rows[2][1])  # the empty row, with its sheet row number
    assert rows[3] == (4, ["+44 7400 123456", "TRUE", "1985-03-04 10:30:00", "12.5"])


def test_xls_named_sheet_is_read_and_a_missing_one_lists_the_sheets(tmp_path: Path) -> None:
    assert list(read_xls(_xls(tmp_path), sheet="Leads")) == [(1, ["Mobile"]), (2, ["4155550199"]),
                                                            (3, ["4155550198"])]
    with pytest.raises(MalformedFileError, match=r"no sheet 'Other'; sheets: \['Contacts', 'Leads'\]"):
        read_xls(_xls(tmp_path), sheet="Other")


def test_xls_over_the_row_limit_is_refused_before_any_row(tmp_path: Path) -> None:
    with pytest.raises(MalformedFileError) as info:
        read_xls(_xls(tmp_path), limits=FileLimits(max_rows_per_sheet=3))
    assert info.value.line == 4 and "file_limits.max_rows_per_sheet" in str(info.value)


def test_xls_bigger_than_the_in_memory_limit_is_refused_unread(tmp_path: Path) -> None:
    path = _xls(tmp_path)
    with path.open("ab") as fh:
        fh.write(b"\0" * (1024 * 1024))
    with pytest.raises(MalformedFileError, match=r"read into memory whole.*file_limits\.max_shared_strings_mb"):
        read_xls(path, limits=FileLimits(max_shared_strings_mb=1))


@pytest.mark.parametrize(("data", "words"), [
    (b"Phone\n4155550101\n", "not a readable XLS workbook"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "not a readable XLS workbook"),
    (b"PK\x03\x04rest", "rename it to .xlsx"),
])
def test_a_file_named_xls_that_is_not_one_is_refused_naming_it(tmp_path: Path, data: bytes, words: str) -> None:
    path = tmp_path / "fake.xls"
    path.write_bytes(data)
    with pytest.raises(MalformedFileError, match=words) as info:
        open_records(path, "xls")
    assert info.value.file_name == "fake.xls"


def test_an_xls_file_with_a_text_name_is_refused_with_a_rename_hint(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    shutil.copy(FIXTURES / "contacts.xls", path)
    with pytest.raises(MalformedFileError, match="rename it to .xls"):
        open_records(path, "csv")


def test_an_xls_is_staged_with_every_row_and_its_other_sheet_reported(conn, tmp_path: Path, as_of, caplog) -> None:
    path = _xls(tmp_path)
    write_manifest(path)
    with caplog.at_level(logging.INFO, logger="optline.intake.readers"):
        result = stage_file(conn, path, load_manifest(path), RunContext(as_of=as_of))
    assert result.lines_read == 3  # the header is not a row; the empty row is
    assert conn.execute("select file_format from ops.batches where batch_id = ?",
                        [result.batch_id]).fetchone() == ("xls",)
    rows = conn.execute("select line_number, phone_raw, first_name, read_issue from staging.contact_rows "
                        "where batch_id = ? order by line_number", [result.batch_id]).fetchall()
    assert rows == [(2, "4155550101", "Ann", None), (3, None, None, "blank_row"),
                    (4, "+44 7400 123456", "TRUE", None)]
    assert "'Leads' (3 rows with data)" in caplog.text
    assert "4155550199" not in caplog.text  # no phone numbers in the log


# --- XLSX formulas with no saved value -------------------------------------------------------

def _formula_book(path: Path) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["Phone", "First Name", "Referrer"])
    ws["A2"], ws["B2"], ws["C2"] = "4155550101", "=D2", "Eve"  # B2: a formula, never calculated
    ws.append(["4155550102", "Bob", None])
    ws["A4"], ws["B4"], ws["C4"] = "=E4", "Cy", "=F4"
    book.save(path)
    return path


def test_a_formula_with_no_saved_value_is_not_read_as_empty(tmp_path: Path) -> None:
    rows = list(read_xlsx(_formula_book(tmp_path / "formulas.xlsx")))
    line, cells = rows[1]
    assert line == 2 and cells == ["4155550101", None, "Eve"]
    assert record_issue(cells) == (
        FORMULA_NO_VALUE,
        "cell B2 holds a formula with no saved value; open and save the file in Excel, or paste values")
    assert record_issue(rows[2][1]) == (None, None)
    assert record_issue(rows[3][1]) == (
        FORMULA_NO_VALUE, "cells A4, C4 hold formulas with no saved value; open and save the file in Excel, "
        "or paste values")


def test_a_formula_with_a_saved_value_reads_its_value(tmp_path: Path) -> None:
    """As Excel saves them: a number result in <v>, a text result (t="str"), an empty text result."""
    from tests.optline.intake.hostile_xlsx import write_xlsx
    row = (b'<row r="1"><c r="A1"><f>1+1</f><v>2</v></c><c r="B1" t="str"><f>"A"&amp;"n"</f><v>An</v></c>'
           b'<c r="C1" t="str"><f>""</f><v></v></c></row>')
    path = write_xlsx(tmp_path / "saved.xlsx", [row], [], 0)
    [(line, cells)] = list(read_xlsx(path))
    assert (line, cells, record_issue(cells)) == (1, ["2", "An", None], (None, None))


# --- several sheets -------------------------------------------------------------------------

def _two_sheets(path: Path) -> Path:
    book = openpyxl.Workbook()
    first = book.active
    first.title = "March"
    first.append(["Phone"])
    first.append(["4155550101"])
    second = book.create_sheet("April")
    second.append(["Phone"])
    second.append(["4155550102"])
    second.append([None])
    second.append(["4155550103"])
    book.save(path)
    return path


def test_the_first_sheet_is_read_and_the_others_are_reported_with_their_rows(tmp_path: Path, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="optline.intake.readers"):
        records, how = open_records(_two_sheets(tmp_path / "book.xlsx"), "xlsx")
    assert list(records) == [(1, ["Phone"]), (2, ["4155550101"])]
    assert how["sheet"] == "March"
    assert how["other_sheets"] == [{"name": "April", "rows": 3}]  # the rows holding a value
    assert "book.xlsx: read sheet 'March'" in caplog.text and "'April' (3 rows with data)" in caplog.text
    assert "415555" not in caplog.text


def test_the_sheet_the_manifest_names_is_read_and_the_first_is_reported(tmp_path: Path) -> None:
    records, how = open_records(_two_sheets(tmp_path / "book.xlsx"), "xlsx", sheet="April")
    assert [line for line, _ in records] == [1, 2, 3, 4]
    assert (how["sheet"], how["other_sheets"]) == ("April", [{"name": "March", "rows": 2}])


def test_an_xls_gives_its_other_sheets_too(tmp_path: Path) -> None:
    _, how = open_records(_xls(tmp_path), "xls")
    assert (how["sheet"], how["other_sheets"]) == ("Contacts", [{"name": "Leads", "rows": 3}])


def test_a_text_file_has_no_other_sheets(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("Phone\n4155550101\n", encoding="utf-8")
    assert "other_sheets" not in open_records(path, "csv")[1]
