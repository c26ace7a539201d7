"""Staging real files into a real DuckDB warehouse: every record kept, with lineage, all-or-nothing."""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest

from optline.contacts import staging
from optline.contacts.staging import StageResult, stage_file
from optline.intake import identity
from optline.intake.manifest import ManifestError, load_manifest
from optline.intake.readers import MalformedFileError
from optline.runs import RunContext
from tests.helpers import write_csv, write_manifest

# --- helpers --------------------------------------------------------------------------------

def _stage(conn: duckdb.DuckDBPyConnection, path: Path, as_of: dt.datetime, **run: Any) -> StageResult:
    return stage_file(conn, path, load_manifest(path), RunContext(as_of=as_of, **run))


def _raw(path: Path, data: bytes | str, **manifest: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    write_manifest(path, **manifest)
    return path


def _rows(conn: duckdb.DuckDBPyConnection, batch_id: int, *columns: str) -> list[tuple]:
    cols = ", ".join(columns)
    return conn.execute(f"select {cols} from staging.contact_rows where batch_id = ? order by row_number",
                        [batch_id]).fetchall()


def _batch(conn: duckdb.DuckDBPyConnection, batch_id: int) -> dict[str, Any]:
    cur = conn.execute("select * from ops.batches where batch_id = ?", [batch_id])
    names = [d[0] for d in cur.description]
    return dict(zip(names, cur.fetchone()))


def _table_counts(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    tables = conn.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_type = 'BASE TABLE' and table_catalog = current_database() order by 1, 2").fetchall()
    return {f"{s}.{t}": conn.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0] for s, t in tables}


def _xlsx(path: Path, rows: list[list[Any]], **manifest: Any) -> Path:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    write_manifest(path, **manifest)
    return path


# --- headers, columns and extra -------------------------------------------------------------

def test_recognized_headers_fill_their_columns_and_unknown_ones_go_to_extra(conn, tmp_path, as_of) -> None:
    path = write_csv(tmp_path / "spring.csv", [
        ["Mobile Number", "First Name", "Surname", "Birthday", "Opt-in Date", "E-mail", "Favourite Colour",
         "Cell #", "Store"],
        ["(415) 555-0101", "Ann", "Lee", "01/02/1990", "2026-10-01", "ann@example.com", "Vert émeraude",
         "", "Leeds"],
    ])
    batch = _stage(conn, path, as_of).batch_id
    row = _rows(conn, batch, "phone_raw", "first_name", "last_name", "dob_raw", "opted_in_at_raw", "email",
                "alternate_phone", "extra")[0]
    assert row[:7] == ("(415) 555-0101", "Ann", "Lee", "01/02/1990", "2026-10-01", "ann@example.com", None)
    # the second phone-like header is not the phone; it lands in extra (empty here, so left out)
    assert json.loads(row[7]) == {"Favourite Colour": "Vert émeraude", "Store": "Leeds"}


def test_second_phone_header_keeps_its_values_in_extra(conn, tmp_path, as_of) -> None:
    path = write_csv(tmp_path / "two.csv", [["Phone", "Cell #"], ["4155550101", "4155550199"]])
    batch = _stage(conn, path, as_of).batch_id
    assert _rows(conn, batch, "phone_raw", "extra") == [("4155550101", '{"Cell #": "4155550199"}')]


def test_columns_maps_a_header_by_name_ignoring_case_and_punctuation(conn, tmp_path, as_of) -> None:
    path = write_csv(tmp_path / "tel.csv", [["Contact Tel", "Given", "Notes"], ["4155550101", "Ann", "vip"]],
                     header=True, columns={"phone": "contact-TEL", "first_name": "Given"})
    batch = _stage(conn, path, as_of).batch_id
    assert _rows(conn, batch, "phone_raw", "first_name", "extra") == [("4155550101", "Ann", '{"Notes": "vip"}')]


def test_columns_mapping_wins_over_a_recognized_header(conn, tmp_path, as_of) -> None:
    path = write_csv(tmp_path / "pick.csv", [["Phone", "Mobile"], ["2125550100", "4155550101"]],
                     columns={"phone": "Mobile"})
    batch = _stage(conn, path, as_of).batch_id
    assert _rows(conn, batch, "phone_raw", "extra") == [("4155550101", '{"Phone": "2125550100"}')]


def test_columns_maps_by_one_based_position_in_a_headerless_file(conn, tmp_path, as_of) -> None:
    path = write_csv(tmp_path / "bare.csv", [["Ann", "4155550101"], ["Bob", "4155550102"]],
                     header=False, columns={"phone": 2, "first_name": 1})
    batch = _stage(conn, path, as_of).batch_id
    assert _rows(conn, batch, "row_number", "line_number", "phone_raw", "first_name") == [
        (1, 1, "4155550101", "Ann"), (2, 2, "4155550102", "Bob")]
    assert _batch(conn, batch)["has_header"] is False


def test_columns_maps_by_position_under_an_unknown_header(conn, tmp_path, as_of) -> None:
    path = write_csv(tmp_path / "pos.csv", [["Nom", "Prénom", "Numéro"], ["Dubois", "Chloé", "4155550101"]],
                     header=True, columns={"phone": 3, "last_name": 1, "first_name": 2})
    batch = _stage(conn, path, as_of).batch_id
    assert _rows(conn, batch, "phone_raw", "first_name", "last_name", "extra") == [
        ("4155550101", "Chloé", "Dubois", None)]


def test_columns_naming_a_missing_header_lists_the_available_headers(conn, tmp_path, as_of) -> None:
    path = write_csv(tmp_path / "miss.csv", [["Phone", "First Name", "Notes"], ["4155550101", "Ann", ""]],
                     columns={"first_name": "Given Name"})
    with pytest.raises(ManifestError) as info:
        _stage(conn, path, as_of)
    message = str(info.value)
    assert "miss.csv" in message
    assert "columns.first_name" in message and "'Given Name'" in message
    for header in ("Phone", "First Name", "Notes"):
        assert header in message
    assert _table_counts(conn)["ops.batches"] == 0


def test_columns_naming_a_header_in_a_headerless_file_asks_for_a_position(conn, tmp_path, as_of) -> None:
    path = write_csv(tmp_path / "nohead.csv", [["4155550101", "Ann"]], header=False, columns={"phone": "Phone"})
    with pytest.raises(ManifestError, match="column number"):
        _stage(conn, path, as_of)


def test_no_phone_column_error_says_what_to_add_to_the_manifest(conn, tmp_path, as_of) -> None:
    path = write_csv(tmp_path / "nophone.csv", [["First Name", "Email"], ["Ann", "ann@example.com"]])
    with pytest.raises(MalformedFileError) as info:
        _stage(conn, path, as_of)
    message = str(info.value)
    assert "nophone.csv" in message
    assert "columns: {phone: <header>}" in message
    assert "First Name" in message and "Email" in message


def test_headerless_file_with_several_columns_asks_for_a_mapping(conn, tmp_path, as_of) -> None:
    path = write_csv(tmp_path / "several.csv", [["4155550101", "Ann"], ["4155550102", "Bob"]])
    with pytest.raises(MalformedFileError, match=r"columns: \{phone: 1"):
        _stage(conn, path, as_of)


# --- header detection -----------------------------------------------------------------------

def test_first_row_of_numbers_is_data_not_a_header(conn, tmp_path, as_of) -> None:
    path = _raw(tmp_path / "pasted.txt", "4155550101\n(415) 555-0102\n+1 415 555 0103\n")
    result = _stage(conn, path, as_of)
    assert result.lines_read == 3
    assert _rows(conn, result.batch_id, "row_number", "line_number", "phone_raw") == [
        (1, 1, "4155550101"), (2, 2, "(415) 555-0102"), (3, 3, "+1 415 555 0103")]
    batch = _batch(conn, result.batch_id)
    assert batch["has_header"] is False
    assert batch["file_format"] == "text"


def test_first_row_with_a_phone_beside_a_header_word_is_data(conn, tmp_path, as_of) -> None:
    # "Mobile" is a header word, but the row also holds a phone number: it is data
    path = write_csv(tmp_path / "data.csv", [["4155550101", "Mobile"], ["4155550102", "Home"]],
                     columns={"phone": 1})
    result = _stage(conn, path, as_of)
    assert _rows(conn, result.batch_id, "phone_raw") == [("4155550101",), ("4155550102",)]
    assert _batch(conn, result.batch_id)["has_header"] is False


def test_text_file_with_a_header_line_skips_it(conn, tmp_path, as_of) -> None:
    path = _raw(tmp_path / "numbers.txt", "Mobile Number\n4155550101\n\n4155550102\n")
    result = _stage(conn, path, as_of)
    assert _rows(conn, result.batch_id, "row_number", "line_number", "phone_raw", "read_issue") == [
        (1, 2, "4155550101", None), (2, 3, None, "blank_row"), (3, 4, "4155550102", None)]
    assert _batch(conn, result.batch_id)["has_header"] is True


def test_header_false_stages_the_first_row_as_data(conn, tmp_path, as_of) -> None:
    path = _raw(tmp_path / "forced.txt", "Phone\n4155550101\n", header=False)
    result = _stage(conn, path, as_of)
    assert _rows(conn, result.batch_id, "line_number", "phone_raw") == [(1, "Phone"), (2, "4155550101")]


# --- delimiters and encodings ---------------------------------------------------------------

def test_each_delimiter_is_detected_and_recorded(conn, tmp_path, as_of) -> None:
    for name, delimiter in (("comma", ","), ("semicolon", ";"), ("tab", "\t"), ("pipe", "|")):
        path = write_csv(tmp_path / f"{name}.csv", [["Phone", "First Name", "City"], ["4155550101", "Ann", "Paris, TX"],
                                                    ["4155550102", "Bob", "Leeds"]], delimiter=delimiter)
        result = _stage(conn, path, as_of)
        assert _rows(conn, result.batch_id, "phone_raw", "first_name", "city") == [
            ("4155550101", "Ann", "Paris, TX"), ("4155550102", "Bob", "Leeds")], name
        assert _batch(conn, result.batch_id)["delimiter"] == delimiter, name


def test_manifest_delimiter_overrides_detection(conn, tmp_path, as_of) -> None:
    # the first line has as many commas as semicolons; detection alone would pick the comma
    path = _raw(tmp_path / "forced.csv", "Phone;Name, Full;City, State\n4155550101;Lee, Ann;Austin, TX\n",
                delimiter=";")
    result = _stage(conn, path, as_of)
    assert _rows(conn, result.batch_id, "phone_raw", "extra") == [
        ("4155550101", json.dumps({"Name, Full": "Lee, Ann", "City, State": "Austin, TX"}))]


def test_text_file_with_a_manifest_delimiter_is_read_as_columns(conn, tmp_path, as_of) -> None:
    path = _raw(tmp_path / "export.txt", "Phone|First Name\n4155550101|Ann\n", delimiter="pipe")
    result = _stage(conn, path, as_of)
    assert _rows(conn, result.batch_id, "phone_raw", "first_name") == [("4155550101", "Ann")]


def test_encoded_files_stage_accented_names_and_record_their_encoding(conn, tmp_path, as_of) -> None:
    for encoding in ("utf-8", "utf-8-sig", "cp1252", "utf-16"):
        path = write_csv(tmp_path / f"enc-{encoding}.csv", [
            ["Phone", "First Name", "Last Name"], ["4155550101", "Chloé", "Müller"], ["4155550102", "José", "Ñúñez"],
        ], delimiter=";", encoding=encoding)
        result = _stage(conn, path, as_of)
        assert _rows(conn, result.batch_id, "first_name", "last_name") == [("Chloé", "Müller"), ("José", "Ñúñez")]
        assert _batch(conn, result.batch_id)["encoding"] == encoding, encoding


def test_windows_1252_file_decodes_accented_names(conn, tmp_path, as_of) -> None:
    path = _raw(tmp_path / "excel.csv", "Mobile Number;First Name\r\n4155550101;Renée\r\n".encode("cp1252"))
    result = _stage(conn, path, as_of)
    assert _rows(conn, result.batch_id, "first_name") == [("Renée",)]
    assert _batch(conn, result.batch_id)["encoding"] == "cp1252"


# --- every record, with lineage ------------------------------------------------------------

def test_every_record_lands_with_row_and_line_numbers(conn, tmp_path, as_of) -> None:
    rows = [["Phone", "First Name"]] + [[f"41555501{i:02d}", f"Name{i}"] for i in range(1, 8)]
    path = write_csv(tmp_path / "seven.csv", rows, lineterminator="\r\n")
    result = _stage(conn, path, as_of)
    staged = _rows(conn, result.batch_id, "row_number", "line_number", "phone_raw", "first_name")
    assert staged == [(i, i + 1, rows[i][0], rows[i][1]) for i in range(1, 8)]


def test_rows_are_staged_whole_across_several_chunks(conn, tmp_path, as_of, monkeypatch) -> None:
    monkeypatch.setattr(staging, "CHUNK_ROWS", 2)
    rows = [["Phone"]] + [[f"41555501{i:02d}"] for i in range(1, 8)]
    result = _stage(conn, write_csv(tmp_path / "chunks.csv", rows), as_of)
    assert result.lines_read == 7
    assert _rows(conn, result.batch_id, "row_number", "phone_raw") == [(i, rows[i][0]) for i in range(1, 8)]


def test_quoted_newline_shifts_line_numbers_of_later_rows(conn, tmp_path, as_of) -> None:
    path = write_csv(tmp_path / "notes.csv", [
        ["Phone", "Address"], ["4155550101", "1 Main St\nApt 2\nBack door"], ["4155550102", "2 High St"],
        ["4155550103", "3 Low Rd"],
    ], lineterminator="\r\n")
    result = _stage(conn, path, as_of)
    assert _rows(conn, result.batch_id, "row_number", "line_number", "address_line1") == [
        (1, 2, "1 Main St\nApt 2\nBack door"), (2, 5, "2 High St"), (3, 6, "3 Low Rd")]


def test_blank_and_ragged_rows_are_kept_with_a_read_issue(conn, tmp_path, as_of) -> None:
    path = _raw(tmp_path / "ragged.csv",
                "Phone,First Name\n4155550101,Ann\n\n , \n4155550102,Bob,surprise\n4155550103\n4155550104,Cy,\n")
    result = _stage(conn, path, as_of)
    staged = _rows(conn, result.batch_id, "row_number", "line_number", "read_issue", "read_detail", "phone_raw",
                   "first_name")
    assert [r[:3] for r in staged] == [
        (1, 2, None), (2, 3, "blank_row"), (3, 4, "blank_row"), (4, 5, "extra_fields"), (5, 6, None), (6, 7, None)]
    assert "3 fields" in staged[3][3] and "2" in staged[3][3]
    assert staged[3][4:] == ("4155550102", "Bob")
    assert staged[4][4:] == ("4155550103", None)  # a short row is not an issue: missing cells are empty
    assert staged[5][2] is None  # a trailing empty field is not an extra field


def test_staged_count_equals_lines_read_in_ops_batches(conn, tmp_path, as_of) -> None:
    path = _raw(tmp_path / "count.csv", "Phone,Name\n4155550101,Ann\n\n4155550102,Bob,x\n,\n4155550103,\"C\ny\"\n")
    result = _stage(conn, path, as_of)
    staged = conn.execute("select count(*) from staging.contact_rows where batch_id = ?",
                          [result.batch_id]).fetchone()[0]
    assert staged == result.lines_read == _batch(conn, result.batch_id)["lines_read"] == 5


def test_cells_are_trimmed_and_empty_cells_are_null(conn, tmp_path, as_of) -> None:
    path = write_csv(tmp_path / "trim.csv", [["Phone", "First Name", "Email"], ["  415 555 0101 ", "   ", "\tA@x.io "]])
    result = _stage(conn, path, as_of)
    assert _rows(conn, result.batch_id, "phone_raw", "first_name", "email") == [("415 555 0101", None, "A@x.io")]


def test_header_only_file_is_a_batch_of_no_rows(conn, tmp_path, as_of) -> None:
    result = _stage(conn, write_csv(tmp_path / "head.csv", [["Phone", "Name"]]), as_of)
    assert result.lines_read == 0
    assert _batch(conn, result.batch_id)["lines_read"] == 0


def test_batch_records_the_file_manifest_and_run(conn, tmp_path, as_of) -> None:
    path = write_csv(tmp_path / "meta.csv", [["Phone"], ["4155550101"]], lists=["Spring", "VIP"],
                     default_country="CA", channel="whatsapp", policy="alcohol", tags=["kiosk"])
    manifest = load_manifest(path)
    result = _stage(conn, path, as_of, dag_id="contact_import", run_id="manual__1")
    batch = _batch(conn, result.batch_id)
    assert result == StageResult(result.batch_id, "meta.csv", "staged", False, 1)
    assert batch["file_name"] == "meta.csv" and batch["file_path"] == str(path)
    assert batch["file_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert batch["file_bytes"] == path.stat().st_size
    assert batch["file_format"] == "csv" and batch["status"] == "staged" and batch["kind"] == "contacts"
    assert json.loads(batch["manifest"]) == manifest.settings()
    assert batch["manifest_path"] == str(path.with_name("meta.manifest.yaml"))
    assert batch["list_names"] == ["Spring", "VIP"]
    assert (batch["channel"], batch["default_country"], batch["policy_name"]) == ("whatsapp", "CA", "alcohol")
    assert (batch["dag_id"], batch["run_id"]) == ("contact_import", "manual__1")
    assert batch["as_of"] == as_of


def test_folder_manifest_governs_a_file_without_its_own(conn, data_dir, as_of) -> None:
    folder = data_dir / "inbox" / "brand"
    folder.mkdir()
    (folder / "_manifest.yaml").write_text("lists: [Brand List]\ndefault_country: GB\n", encoding="utf-8")
    path = folder / "numbers.txt"
    path.write_text("07400 123456\n", encoding="utf-8")
    result = _stage(conn, path, as_of)
    batch = _batch(conn, result.batch_id)
    assert batch["list_names"] == ["Brand List"] and batch["default_country"] == "GB"
    assert batch["manifest_path"] == str(folder / "_manifest.yaml")


# --- XLSX -----------------------------------------------------------------------------------

def test_xlsx_stages_cells_as_excel_shows_them_and_keeps_empty_rows(conn, tmp_path, as_of) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["Phone", "First Name", "Date of Birth", "Member No"])
    ws.append([4155550101, "Ann", dt.date(1990, 5, 17), 12345678901234567])
    ws.append([None, None, None, None])
    ws.append([14155550102, "Bob", dt.datetime(1985, 3, 4), 7])
    ws["A4"].number_format = "0.00E+00"
    path = tmp_path / "book.xlsx"
    book.save(path)
    write_manifest(path)
    result = _stage(conn, path, as_of)
    staged = _rows(conn, result.batch_id, "row_number", "line_number", "read_issue", "phone_raw", "first_name",
                   "dob_raw", "extra")
    assert [r[:3] for r in staged] == [(1, 2, None), (2, 3, "blank_row"), (3, 4, None)]
    assert staged[0][3] == "4155550101"
    assert staged[0][5].startswith("1990-05-17")
    member_no = json.loads(staged[0][6])["Member No"]
    assert "E+" in member_no and member_no != "12345678901234567"
    assert staged[2][3] == "1.41556E+10" and staged[2][5].startswith("1985-03-04")
    batch = _batch(conn, result.batch_id)
    assert (batch["file_format"], batch["encoding"], batch["delimiter"], batch["lines_read"]) == ("xlsx", None, None, 3)


def test_xlsx_sheet_named_in_the_manifest_is_staged(conn, tmp_path, as_of) -> None:
    book = openpyxl.Workbook()
    book.active.append(["Instructions"])
    book.create_sheet("Leads").append(["Cell #"])
    book["Leads"].append(["4155550101"])
    path = tmp_path / "sheets.xlsx"
    book.save(path)
    write_manifest(path, sheet="Leads")
    result = _stage(conn, path, as_of)
    assert _rows(conn, result.batch_id, "phone_raw") == [("4155550101",)]


# --- all-or-nothing -------------------------------------------------------------------------

def _unterminated_quote(tmp: Path) -> Path:
    lines = ["Phone,Name"] + [f"41555501{i:02d},Name{i}" for i in range(1, 7)] + ['4155550199,"Broken', "4155550200,Z"]
    return _raw(tmp / "late_break.csv", "\n".join(lines) + "\n")


def _undecodable(tmp: Path) -> Path:
    return _raw(tmp / "latin.csv", b"Phone,Name\n4155550101,Ann\n4155550102,Ren\xe9e\n", encoding="utf-8")


def _nul(tmp: Path) -> Path:
    return _raw(tmp / "nul.csv", b"Phone\n4155550101\n\x00\x00\x00\n")


def _zip_named_csv(tmp: Path) -> Path:
    book = openpyxl.Workbook()
    book.active.append(["Phone"])
    book.active.append([4155550101])
    path = tmp / "renamed.csv"
    book.save(path)
    write_manifest(path)
    return path


def _empty(tmp: Path) -> Path:
    return _raw(tmp / "empty.csv", b"")


def _bom_only(tmp: Path) -> Path:
    return _raw(tmp / "bom.csv", codecs.BOM_UTF8)


def _empty_xlsx(tmp: Path) -> Path:
    path = tmp / "empty.xlsx"
    openpyxl.Workbook().save(path)
    write_manifest(path)
    return path


def _text_named_xlsx(tmp: Path) -> Path:
    return _raw(tmp / "fake.xlsx", "Phone\n4155550101\n")


def _unsupported(tmp: Path) -> Path:
    return _raw(tmp / "sheet.ods", b"PK\x03\x04")


def _truncated_xls(tmp: Path) -> Path:
    return _raw(tmp / "old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")  # the OLE2 signature alone


def _no_phone(tmp: Path) -> Path:
    return write_csv(tmp / "names.csv", [["First Name", "Last Name"], ["Ann", "Lee"]])


@pytest.mark.parametrize(("make", "line", "words"), [
    (_unterminated_quote, 8, "not valid CSV"),
    (_undecodable, 3, "not utf-8"),
    (_nul, 3, "NUL"),
    (_zip_named_csv, None, "rename it to .xlsx"),
    (_empty, None, "empty"),
    (_bom_only, None, "empty"),
    (_empty_xlsx, None, "empty"),
    (_text_named_xlsx, None, "XLSX"),
    (_unsupported, None, "unsupported file type"),
    (_truncated_xls, None, "not a readable XLS workbook"),
    (_no_phone, 1, "no phone column"),
])
def test_malformed_file_raises_naming_it_and_leaves_the_warehouse_unchanged(
        conn, tmp_path, as_of, monkeypatch, make, line: int | None, words: str) -> None:
    monkeypatch.setattr(staging, "CHUNK_ROWS", 2)  # rows before the break are inserted before it is found
    before = _table_counts(conn)
    path = make(tmp_path)
    with pytest.raises(MalformedFileError) as info:
        _stage(conn, path, as_of)
    assert info.value.file_name == path.name
    assert info.value.line == line
    assert path.name in str(info.value) and words in str(info.value)
    assert _table_counts(conn) == before
    assert conn.execute("select count(*) from ops.batches").fetchone()[0] == 0


def test_malformed_file_after_a_good_one_leaves_the_good_batch_alone(conn, tmp_path, as_of, monkeypatch) -> None:
    monkeypatch.setattr(staging, "CHUNK_ROWS", 2)
    good = _stage(conn, write_csv(tmp_path / "good.csv", [["Phone"], ["4155550101"], ["4155550102"]]), as_of)
    before = _table_counts(conn)
    assert before["staging.contact_rows"] == 2 and before["ops.batches"] == 1
    with pytest.raises(MalformedFileError):
        _stage(conn, _unterminated_quote(tmp_path), as_of)
    assert _table_counts(conn) == before
    assert conn.execute("select batch_id from ops.batches").fetchall() == [(good.batch_id,)]


def test_file_fixed_after_a_failure_stages_normally(conn, tmp_path, as_of) -> None:
    path = _raw(tmp_path / "retry.csv", 'Phone,First Name\n4155550101,"Ann\n')
    with pytest.raises(MalformedFileError):
        _stage(conn, path, as_of)
    path.write_text('Phone,First Name\n4155550101,"Ann"\n', encoding="utf-8")
    result = _stage(conn, path, as_of)
    assert _rows(conn, result.batch_id, "phone_raw", "first_name") == [("4155550101", "Ann")]


# --- idempotency ----------------------------------------------------------------------------

def test_same_file_and_manifest_staged_twice_reuses_the_batch_without_new_rows(conn, tmp_path, as_of) -> None:
    path = write_csv(tmp_path / "twice.csv", [["Phone"], ["4155550101"], ["4155550102"]])
    first = _stage(conn, path, as_of)
    before = _table_counts(conn)
    again = _stage(conn, path, as_of)
    assert again.batch_id == first.batch_id
    assert again.lines_read == first.lines_read == 2
    # not merged yet: the same batch comes back for the pipeline to resume, not as a finished import
    assert (again.status, again.already_imported) == ("staged", False)
    assert _table_counts(conn) == before


def test_renamed_copy_with_the_same_settings_is_the_same_import(conn, tmp_path, as_of) -> None:
    rows = [["Phone"], ["4155550101"]]
    first = _stage(conn, write_csv(tmp_path / "a" / "list.csv", rows), as_of)
    copy = _stage(conn, write_csv(tmp_path / "b" / "list-copy.csv", rows), as_of)
    assert copy.batch_id == first.batch_id
    assert conn.execute("select count(*) from staging.contact_rows").fetchone()[0] == 1


def test_merged_file_staged_again_is_already_imported(conn, data_dir, tmp_path, as_of) -> None:
    from optline.contacts import pipeline

    path = write_csv(tmp_path / "done.csv", [["Phone", "First Name", "Opt-in Date", "Age"],
                                             ["(415) 555-0101", "Ann", "2026-10-01", "30"]])
    summary = pipeline.import_file(conn, path, RunContext(as_of=as_of), data_dir / "reports")
    assert summary.status == "merged"
    before = _table_counts(conn)
    again = _stage(conn, path, as_of)
    assert again.already_imported is True
    assert (again.batch_id, again.status, again.lines_read) == (summary.batch_id, "merged", 1)
    assert _table_counts(conn) == before


def _bytes_read() -> int:
    """Bytes this process has read through read() so far (/proc/self/io `rchar`)."""
    line = next(x for x in Path("/proc/self/io").read_text().splitlines() if x.startswith("rchar:"))
    return int(line.split()[1])


def test_an_unchanged_file_found_again_is_known_by_its_stat_without_reading_its_bytes(conn, tmp_path, as_of) -> None:
    path = write_csv(tmp_path / "big.csv", [["Phone", "Notes"]]
                     + [[f"415555{n:04d}", "x" * 60] for n in range(40_000)])
    size = path.stat().st_size
    before = _bytes_read()
    first = _stage(conn, path, as_of)
    assert _bytes_read() - before >= size  # staging read it (hash and parse)
    recorded = conn.execute("select file_stat from ops.batches where batch_id = ?", [first.batch_id]).fetchone()[0]
    assert recorded == identity.file_stat(path)
    before = _bytes_read()
    again = _stage(conn, path, as_of)
    assert again.batch_id == first.batch_id and again.lines_read == 40_000
    assert _bytes_read() - before < size / 4


def test_a_file_rewritten_with_its_old_size_and_mtime_is_hashed_again_and_staged_anew(conn, tmp_path, as_of) -> None:
    path = write_csv(tmp_path / "rewritten.csv", [["Phone"], ["4155550101"]])
    first = _stage(conn, path, as_of)
    old = path.stat()
    path.write_text(path.read_text(encoding="utf-8").replace("4155550101", "4155550109"), encoding="utf-8")
    os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (old.st_size, old.st_mtime_ns)
    second = _stage(conn, path, as_of)
    assert second.batch_id != first.batch_id
    assert _rows(conn, second.batch_id, "phone_raw") == [("4155550109",)]


def test_same_file_with_a_different_manifest_is_a_new_batch(conn, tmp_path, as_of) -> None:
    path = write_csv(tmp_path / "relist.csv", [["Phone"], ["4155550101"], ["4155550102"]], lists=["Spring"])
    first = _stage(conn, path, as_of)
    write_manifest(path, lists=["Spring"], tags=["vip"])
    second = _stage(conn, path, as_of)
    assert second.batch_id != first.batch_id
    assert second.already_imported is False and second.lines_read == 2
    keys = conn.execute("select import_key from ops.batches order by batch_id").fetchall()
    assert len(keys) == 2 and keys[0] != keys[1]
    assert _rows(conn, second.batch_id, "phone_raw") == _rows(conn, first.batch_id, "phone_raw")
    assert conn.execute("select count(*) from staging.contact_rows").fetchone()[0] == 4


# --- defects found while writing these tests (see each reason) ------------------------------

def test_headerless_file_keeps_unmapped_columns_in_extra(conn, tmp_path, as_of) -> None:
    path = write_csv(tmp_path / "bare3.csv", [["4155550101", "Ann", "Gold"]], header=False,
                     columns={"phone": 1, "first_name": 2})
    result = _stage(conn, path, as_of)
    assert _rows(conn, result.batch_id, "extra") == [('{"column_3": "Gold"}',)]


def test_duplicate_unknown_headers_keep_both_values(conn, tmp_path, as_of) -> None:
    path = write_csv(tmp_path / "dup.csv", [["Phone", "Notes", "Notes"], ["4155550101", "first note", "second"]])
    result = _stage(conn, path, as_of)
    (extra,) = _rows(conn, result.batch_id, "extra")[0]
    assert "first note" in extra and "second" in extra


def test_columns_position_past_the_last_column_is_an_error(conn, tmp_path, as_of) -> None:
    path = write_csv(tmp_path / "short.csv", [["Phone", "Name"], ["4155550101", "Ann"]], columns={"phone": 5})
    with pytest.raises(ManifestError, match="columns.phone"):
        _stage(conn, path, as_of)


def test_one_column_csv_starting_with_a_blank_line_stages(conn, tmp_path, as_of) -> None:
    path = _raw(tmp_path / "lead.csv", "\n4155550101\n4155550102\n")
    result = _stage(conn, path, as_of)
    assert [r[0] for r in _rows(conn, result.batch_id, "phone_raw") if r[0]] == ["4155550101", "4155550102"]


def test_header_named_in_columns_is_recognized_as_a_header(conn, tmp_path, as_of) -> None:
    path = write_csv(tmp_path / "fr.csv", [["Numéro", "Prénom"], ["4155550101", "Chloé"]],
                     columns={"phone": "Numéro", "first_name": "Prénom"})
    result = _stage(conn, path, as_of)
    assert _rows(conn, result.batch_id, "phone_raw", "first_name") == [("4155550101", "Chloé")]


def test_the_chunk_insert_names_every_column_of_the_staging_table(conn) -> None:
    from optline import warehouse

    text = warehouse.sql_text("staging/contact_rows_insert_chunk")
    inserted, selected = (re.findall(r"\w+", part) for part in
                          re.search(r"contact_rows \((.*?)\)\s*select(.*?)from staging_chunk", text, re.S).groups())
    table = [c for (c,) in conn.execute(
        "select column_name from information_schema.columns where table_schema = 'staging' "
        "and table_name = 'contact_rows' order by ordinal_position").fetchall()]
    assert inserted == selected == table
