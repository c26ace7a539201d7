"""Readers on real files: encodings, delimiters, broken CSV, XLSX cells, one-number-per-line text."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import tempfile
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optline.intake.readers import (
    MalformedFileError,
    decode,
    detect_delimiter,
    file_format,
    first_filled,
    open_records,
    read_delimited,
    read_export,
    read_lines,
    read_xlsx,
)


def _read_file(path: Path, encoding: str = "auto", delimiter: str | None = None) -> list[tuple[int, list[str]]]:
    decoded = decode(path.read_bytes(), path.name, encoding)
    return list(read_delimited(decoded.text, path.name, delimiter or detect_delimiter(decoded.text) or ","))


# --- file types -----------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "fmt"), [
    ("a.csv", "csv"), ("a.CSV", "csv"), ("a.tsv", "csv"), ("a.txt", "text"), ("a.xlsx", "xlsx"), ("A.XLSX", "xlsx"),
    ("a.xls", "xls"), ("A.XLS", "xls"),
])
def test_supported_extensions_have_a_format(name: str, fmt: str) -> None:
    assert file_format(Path(name)) == fmt


@pytest.mark.parametrize("name", ["contacts.xlsb", "contacts.ods", "contacts.pdf", "contacts.json", "contacts"])
def test_unsupported_extension_is_refused_naming_the_file(name: str) -> None:
    with pytest.raises(MalformedFileError) as info:
        file_format(Path(name))
    assert info.value.file_name == name
    assert name in str(info.value)
    assert ".xlsx" in str(info.value) and ".xls " in str(info.value)


# --- encodings ------------------------------------------------------------------------------

_ROWS = [["Phone", "First Name", "Last Name"], ["4155550101", "Renée", "Müller"], ["4155550102", "José", "Ñúñez"]]


@pytest.mark.parametrize(("encoding", "expected"), [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252"), ("utf-16", "utf-16"),
])
def test_encoded_file_decodes_accented_names(tmp_path: Path, encoding: str, expected: str) -> None:
    path = tmp_path / "names.csv"
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(_ROWS)
    decoded = decode(path.read_bytes(), path.name)
    assert decoded.encoding == expected
    assert [cells for _, cells in read_delimited(decoded.text, path.name, ",")] == _ROWS


def test_windows_1252_file_decodes_accented_names(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes("Phone;Name\r\n4155550101;Chloé “Clo” Dubois\r\n".encode("cp1252"))
    decoded = decode(path.read_bytes(), path.name)
    assert decoded.encoding == "cp1252"
    assert "Chloé “Clo” Dubois" in decoded.text


def test_utf8_bom_is_not_part_of_the_first_header(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(codecs.BOM_UTF8 + "Phone,Name\n4155550101,Zoë\n".encode())
    rows = _read_file(path)
    assert rows[0] == (1, ["Phone", "Name"])


def test_utf16_big_endian_with_bom_decodes(tmp_path: Path) -> None:
    path = tmp_path / "be.csv"
    path.write_bytes(codecs.BOM_UTF16_BE + "Phone\tName\n4155550101\tŁukasz\n".encode("utf-16-be"))
    assert _read_file(path) == [(1, ["Phone", "Name"]), (2, ["4155550101", "Łukasz"])]


def test_utf8_file_declared_cp1252_is_read_as_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "declared.csv"
    path.write_bytes("Phone,Name\n4155550101,Zoë\n".encode())
    decoded = decode(path.read_bytes(), path.name, "cp1252")
    assert decoded.encoding == "cp1252"
    assert "ZoÃ«" in decoded.text  # what the manifest asked for, mojibake included


def test_undecodable_file_raises_naming_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes(b"Phone,Name\n4155550101,Ann\n4155550102,Ren\xe9e\n")
    with pytest.raises(MalformedFileError) as info:
        decode(path.read_bytes(), path.name, "utf-8")
    assert info.value.file_name == "latin.csv"
    assert info.value.line == 3
    assert "latin.csv, line 3" in str(info.value)
    assert "encoding" in str(info.value)


def test_bytes_undefined_in_utf8_and_cp1252_raise_with_their_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"Phone,Name\n4155550101,Ann\n4155550102,Bob\n4155550103,X\x81Y\n")
    with pytest.raises(MalformedFileError) as info:
        decode(path.read_bytes(), path.name)
    assert info.value.line == 4
    assert "bad.csv, line 4" in str(info.value)


def test_undecodable_byte_line_is_reported_after_cp1252_fallback(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"Phone,Name\n4155550101,Ren\xe9e\n4155550102,Bob\n4155550103,X\x81Y\n")
    with pytest.raises(MalformedFileError) as info:
        decode(path.read_bytes(), path.name)
    assert info.value.line == 4


def test_nul_byte_is_refused_naming_its_line(tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    path.write_bytes(b"Phone\n4155550101\n41555\x0050102\n")
    with pytest.raises(MalformedFileError) as info:
        decode(path.read_bytes(), path.name)
    assert info.value.line == 3
    assert "NUL" in str(info.value)


def test_utf16_file_without_bom_is_refused_as_binary(tmp_path: Path) -> None:
    path = tmp_path / "nobom.csv"
    path.write_bytes("Phone\n4155550101\n".encode("utf-16-le"))
    with pytest.raises(MalformedFileError, match="NUL"):
        decode(path.read_bytes(), path.name)


def test_xlsx_renamed_csv_is_refused_with_a_rename_hint(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["Phone"])
    book.active.append([4155550101])
    path = tmp_path / "contacts.csv"
    book.save(path)
    assert zipfile.is_zipfile(path)
    with pytest.raises(MalformedFileError) as info:
        decode(path.read_bytes(), path.name)
    assert info.value.file_name == "contacts.csv"
    assert "rename it to .xlsx" in str(info.value)


def test_malformed_file_error_message_says_nothing_was_loaded() -> None:
    err = MalformedFileError("x.csv", 7, "broken")
    assert str(err).startswith("x.csv, line 7: broken.")
    assert "Nothing from this file was loaded" in str(err)
    assert str(MalformedFileError("x.csv", None, "broken")).startswith("x.csv: broken.")


# --- delimiters -----------------------------------------------------------------------------

@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_detected_from_the_file(tmp_path: Path, delimiter: str) -> None:
    rows = [["Mobile Number", "First Name", "Opt-in Date"], ["(415) 555-0101", "Ann", "2026-10-01"],
            ["415.555.0102", "Bob", "2026-09-30"]]
    path = tmp_path / "contacts.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    text = decode(path.read_bytes(), path.name).text
    assert detect_delimiter(text) == delimiter
    assert [cells for _, cells in read_delimited(text, path.name, delimiter)] == rows


def test_one_column_file_has_no_delimiter() -> None:
    assert detect_delimiter("Phone\n4155550101\n4155550102\n") is None


def test_delimiter_is_detected_past_leading_blank_lines() -> None:
    assert detect_delimiter("\n  \nPhone;Name;City\n1;2;3\n") == ";"


def test_semicolon_export_with_commas_in_first_line_still_detects_semicolon() -> None:
    assert detect_delimiter('Phone;Name;Address;City\n1;"Lee, Ann";"1 Main St, Apt 2";Paris\n') == ";"


def test_semicolon_file_with_commas_in_its_quoted_headers_is_read_as_semicolon(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text('"Phone, mobile";"Name, first"\n"4155550101";"Lee, Ann"\n4155550102;Bob\n', encoding="utf-8")
    records, how = open_records(path, "csv")
    assert how["delimiter"] == ";"
    assert list(records) == [(1, ["Phone, mobile", "Name, first"]), (2, ["4155550101", "Lee, Ann"]),
                             (3, ["4155550102", "Bob"])]


def test_delimiters_inside_a_quoted_field_spanning_lines_do_not_count() -> None:
    assert detect_delimiter('"Phone|mobile\n,,,";"Name"\n1;2\n') == ";"


def test_a_delimiter_that_makes_the_first_record_invalid_csv_is_not_chosen() -> None:
    # as `,`: text after the closing quote, not CSV; as `;`: two fields
    assert detect_delimiter('"a, b";"c, d, e"\n') == ";"


def test_comma_file_with_semicolons_in_its_quoted_headers_is_read_as_comma() -> None:
    assert detect_delimiter('"Phone; mobile","Name; first; last"\n1,2\n') == ","


# --- broken and tricky CSV ------------------------------------------------------------------

def test_crlf_file_reads_same_cells_and_lines(tmp_path: Path) -> None:
    path = tmp_path / "crlf.csv"
    path.write_bytes(b"Phone,Name\r\n4155550101,Ann\r\n4155550102,Bob\r\n")
    assert _read_file(path) == [(1, ["Phone", "Name"]), (2, ["4155550101", "Ann"]), (3, ["4155550102", "Bob"])]


def test_quoted_newline_keeps_record_whole_and_shifts_later_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_bytes(b'Phone,Note\r\n4155550101,"line one\r\nline two\r\nline three"\r\n4155550102,plain\r\n')
    rows = _read_file(path)
    assert rows == [
        (1, ["Phone", "Note"]),
        (2, ["4155550101", "line one\r\nline two\r\nline three"]),
        (5, ["4155550102", "plain"]),
    ]


def test_blank_lines_are_yielded_as_empty_records(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text("Phone,Name\n4155550101,Ann\n\n4155550102,Bob\n", encoding="utf-8")
    assert _read_file(path) == [(1, ["Phone", "Name"]), (2, ["4155550101", "Ann"]), (3, []),
                                (4, ["4155550102", "Bob"])]


def test_unterminated_quote_raises_naming_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_text('Phone,Name\n4155550101,Ann\n4155550102,"Bob\n4155550103,Cy\n', encoding="utf-8")
    with pytest.raises(MalformedFileError) as info:
        _read_file(path)
    assert info.value.file_name == "broken.csv"
    assert info.value.line == 3
    assert "broken.csv, line 3" in str(info.value)
    assert "CSV" in str(info.value)


def test_text_after_closing_quote_raises_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "stray.csv"
    path.write_text('Phone,Name\n4155550101,Ann\n4155550102,"Bo"b\n', encoding="utf-8")
    with pytest.raises(MalformedFileError) as info:
        _read_file(path)
    assert info.value.line == 3


_cell = st.text(st.characters(blacklist_characters="\x00\ufeff", blacklist_categories=("Cs",)), max_size=12)


@settings(max_examples=75, deadline=None)
@given(rows=st.lists(st.lists(_cell, min_size=1, max_size=5), min_size=1, max_size=6),
       delimiter=st.sampled_from([",", ";", "\t", "|"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_csv_round_trip_preserves_every_cell(rows: list[list[str]], delimiter: str, encoding: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "round.csv"
        with path.open("w", encoding=encoding, newline="") as fh:
            csv.writer(fh, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
        decoded = decode(path.read_bytes(), path.name)
        read = list(read_delimited(decoded.text, path.name, delimiter))
    # csv writes a lone empty cell as "" so every row is a record, blank or not
    assert [cells for _, cells in read] == rows
    # each record starts on the line after the previous one ends
    expected_line = 1
    for (line, _), row in zip(read, rows):
        assert line == expected_line
        buf = io.StringIO()
        csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerow(row)
        expected_line += len(io.StringIO(buf.getvalue(), newline="").readlines())


# --- one number per line --------------------------------------------------------------------

def test_text_file_gives_one_cell_per_line_blank_lines_included(tmp_path: Path) -> None:
    path = tmp_path / "pasted.txt"
    path.write_bytes(b"+1 415 555 0101\r\n(415) 555-0102\r\n\r\n4155550103, Ann\r\n")
    text = decode(path.read_bytes(), path.name).text
    assert list(read_lines(text)) == [(1, ["+1 415 555 0101"]), (2, ["(415) 555-0102"]), (3, [""]),
                                      (4, ["4155550103, Ann"])]


# --- XLSX -----------------------------------------------------------------------------------

def _workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Contacts"
    ws.append(["Phone", "First Name", "DOB", "Member No"])
    ws.append([4155550101, "Ann", dt.date(1990, 5, 17), 1234567890123456])  # 16 digits: Excel lost some
    ws.append([None, None, None, None])  # an empty row
    sci = ws.cell(row=4, column=1, value=14155550102)
    sci.number_format = "0.00E+00"
    ws.cell(row=4, column=2, value="Bob")
    ws.cell(row=4, column=3, value=dt.datetime(1985, 3, 4, 10, 30))
    ws.append(["+44 7400 123456", True, "1979-07-08", 12.5])
    other = book.create_sheet("Other")
    other.append(["Mobile"])
    other.append(["4155550199"])
    book.save(path)
    return path


def test_xlsx_cells_read_as_excel_shows_them(tmp_path: Path) -> None:
    rows = list(read_xlsx(_workbook(tmp_path / "book.xlsx")))
    assert rows[0] == (1, ["Phone", "First Name", "DOB", "Member No"])
    line, cells = rows[1]
    assert line == 2
    assert cells[0] == "4155550101"  # an integer cell, no ".0"
    assert cells[1] == "Ann"
    assert cells[2].startswith("1990-05-17")  # a date cell as ISO
    assert "E+" in cells[3] and cells[3] != "1234567890123456"  # 16+ digits: kept as Excel shows it
    assert rows[3][1][0] == "1.41556E+10"  # number formatted 0.00E+00
    assert rows[3][1][2] == "1985-03-04 10:30:00"
    assert rows[4] == (5, ["+44 7400 123456", "TRUE", "1979-07-08", "12.5"])


def test_xlsx_empty_row_is_yielded_with_its_sheet_row_number(tmp_path: Path) -> None:
    rows = list(read_xlsx(_workbook(tmp_path / "book.xlsx")))
    assert [line for line, _ in rows] == [1, 2, 3, 4, 5]
    assert not any(rows[2][1])


def test_xlsx_named_sheet_is_read(tmp_path: Path) -> None:
    rows = list(read_xlsx(_workbook(tmp_path / "book.xlsx"), sheet="Other"))
    assert rows == [(1, ["Mobile"]), (2, ["4155550199"])]


def test_xlsx_missing_sheet_error_lists_the_sheets(tmp_path: Path) -> None:
    with pytest.raises(MalformedFileError) as info:
        list(read_xlsx(_workbook(tmp_path / "book.xlsx"), sheet="Leads"))
    assert "'Leads'" in str(info.value)
    assert "Contacts" in str(info.value) and "Other" in str(info.value)


def test_csv_renamed_xlsx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_text("Phone\n4155550101\n", encoding="utf-8")
    with pytest.raises(MalformedFileError) as info:
        list(read_xlsx(path))
    assert info.value.file_name == "fake.xlsx"
    assert "XLSX" in str(info.value)


# --- what every kind's reading shares --------------------------------------------------------

def test_first_filled_skips_blank_records_and_leaves_the_rest_unread() -> None:
    records = iter([(1, ["", " "]), (2, [None]), (3, ["Phone"]), (4, ["4155550101"])])
    assert first_filled(records, "a.csv") == ([(1, ["", " "]), (2, [None])], (3, ["Phone"]))
    assert list(records) == [(4, ["4155550101"])]


def test_first_filled_refuses_a_file_with_no_filled_record() -> None:
    with pytest.raises(MalformedFileError, match="a.csv: the file has no rows"):
        first_filled(iter([(1, [""])]), "a.csv")


def test_read_export_maps_the_header_with_the_file_name_and_keeps_every_row(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_text("\nFrom;Body\n+14155550101;STOP\n;\n", encoding="utf-8")
    seen = []

    def map_header(header, file_name, line):
        seen.append((header, file_name, line))
        return {"from_raw": 0, "body": 1}

    read = read_export(path, "inbound messages", encoding="auto", delimiter=None, fields=("from_raw", "body"),
                       map_header=map_header)
    assert seen == [(["From", "Body"], "export.txt", 2)]
    assert (read.encoding, read.delimiter) == ("utf-8", ";")
    assert read.rows == [{"line_number": 3, "read_issue": None, "from_raw": "+14155550101", "body": "STOP"},
                         {"line_number": 4, "read_issue": "blank_row", "from_raw": None, "body": None}]


def test_read_export_refuses_another_file_type_naming_the_kind(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(MalformedFileError, match=r"unsupported file type '.xlsx' for web confirmations; export them"):
        read_export(path, "web confirmations", encoding="auto", delimiter=None, fields=(), map_header=dict)
