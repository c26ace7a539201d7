"""Read inbox files (CSV, XLSX, old Excel XLS, one-number-per-line text) into rows of text cells.

Every reader yields `(line_number, cells)` for every data record, blank ones included, so
that nothing read can vanish. A file that cannot be read as a whole (bad bytes, a broken
quote, a binary file under a text name) raises `MalformedFileError` naming the file, the
line and the cause, before anything is written. A workbook is read within `FileLimits` (from the
list's policy, `file_limits:`): an XLSX's uncompressed size as its zip directory declares it,
checked before anything is parsed, and the rows of its sheet, counted while reading (an XLS:
see `read_xls`).

A record whose cells the reader could not read faithfully carries the reason in its cells
(`Cells.read_issue`, `Cells.read_detail`): an XLSX cell holding a formula with no saved value
(FORMULA_NO_VALUE) is such a cell, never read as empty.

Which library reads which workbook: openpyxl (streaming, read-only) reads XLSX, python-calamine
reads XLS. Measured on a 100,000-row, 6-column XLSX (2 cores, `bench` style: one process per
run, VmHWM): openpyxl 9.8-11.2 s, peak 47-48 MiB; calamine 0.7-1.0 s, peak 68 MiB. Calamine is
ten times faster but cannot serve XLSX here: python-calamine 0.9.1 exposes neither a cell's
number format (a phone Excel shows as 1.41556E+10 must stay that text, so the rules reject
it) nor its formula (a formula with no saved value reads as an empty string), and it builds
the sheet's whole rectangle in memory before the first row (a 5 KB file with cells at A1 and
far away inflates to GBs), where openpyxl streams rows and the row limit stops it early.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from optline.intake.lines import PlainLines, is_plain

FORMATS = {".csv": "csv", ".tsv": "csv", ".txt": "text", ".xlsx": "xlsx", ".xls": "xls"}
EXPORT_SUFFIXES = (".csv", ".tsv", ".txt")  # what a provider's delimited export may be called
_CANDIDATE_DELIMITERS = (",", ";", "\t", "|")
_SCIENTIFIC_FORMAT = re.compile(r"[0#.]E\+", re.IGNORECASE)
FORMULA_NO_VALUE = "formula_no_value"  # Cells.read_issue: a formula cell with no saved result
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an XLS is an OLE2 compound file

csv.field_size_limit(1 << 20)
log = logging.getLogger(__name__)
_NO_VALUE = "no value"  # the data type a formula cell with no saved value is given while parsing


class MalformedFileError(ValueError):
    """The file cannot be read as a whole; nothing from it is loaded."""

    def __init__(self, file_name: str, line: int | None, cause: str):
        self.file_name, self.line, self.cause = file_name, line, cause
        where = f"{file_name}, line {line}" if line else file_name
        super().__init__(f"{where}: {cause}. Nothing from this file was loaded; fix the file and drop it again.")


@dataclass(frozen=True)
class FileLimits:
    """How much one file may take in, from the policy's `file_limits:` (the defaults here are
    optline.contacts.policy.FILE_LIMITS'). An XLSX is a zip: a 2 MB one can inflate to GBs of
    XML, and openpyxl holds its shared strings (every distinct text cell) in memory whole."""
    max_uncompressed_mb: int = 1024  # every part of an XLSX together, as the zip's directory declares
    # The parts held in memory whole, together: everything but the worksheets (which are streamed),
    # the shared strings above all. 64 MB of short strings peaks at ~470 MB (bench/xlsx_limits.py).
    max_shared_strings_mb: int = 64
    max_rows_per_sheet: int = 1_048_576  # rows of the sheet read (Excel's own maximum)


def _raise_it(key: str) -> str:
    return (f"raise `file_limits.{key}` in the list's policy (expectations/policies/<policy>.yaml, or "
            "`policy_overrides` where the policy allows loosening it) to import it as it is")


def check_xlsx_size(path: Path, limits: FileLimits) -> None:
    """Refuse an XLSX whose parts declare more than `limits.max_uncompressed_mb` uncompressed, or
    whose parts held in memory whole (all but the worksheets: shared strings, styles, ...) more than
    `max_shared_strings_mb`, from the zip's directory alone (nothing is inflated). The declared
    sizes are a real bound: zipfile never inflates a part past its declared size (one that would
    is cut there and fails its CRC check: refused as unreadable)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as book:
            parts = book.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise MalformedFileError(path.name, None, f"not a readable XLSX workbook ({exc})") from exc
    held = [part for part in parts if not part.filename.startswith("xl/worksheets/")]
    for chosen, key, limit in ((held, "max_shared_strings_mb", limits.max_shared_strings_mb),
                               (parts, "max_uncompressed_mb", limits.max_uncompressed_mb)):
        total = sum(part.file_size for part in chosen)
        if not chosen or total <= limit * 1024 * 1024:
            continue
        what = "inflates to" if chosen is parts else "holds, in parts read into memory whole,"
        biggest = max(chosen, key=lambda part: part.file_size)
        shared = " (its shared strings: the text of every text cell)" \
            if biggest.filename.endswith("sharedStrings.xml") else ""
        raise MalformedFileError(
            path.name, None, f"the workbook {what} {total / 2**20:,.1f} MB uncompressed ({biggest.filename}{shared} "
            f"alone {biggest.file_size / 2**20:,.1f} MB), over the policy's limit of {limit:,} MB; "
            f"save the rows as CSV, split the workbook, or {_raise_it(key)}")


class Cells(list):
    """A record's cells, and what the reader found wrong with them: `read_issue` (a code, e.g.
    FORMULA_NO_VALUE) and `read_detail` (for people, naming the cells), None when nothing. A
    plain list of cells is a record with no issue."""
    __slots__ = ("read_issue", "read_detail")

    def __init__(self, cells: Iterable = (), read_issue: str | None = None, read_detail: str | None = None):
        super().__init__(cells)
        self.read_issue, self.read_detail = read_issue, read_detail


def record_issue(cells: list) -> tuple[str | None, str | None]:
    """The reader's issue with a record's cells (`Cells`), (None, None) for any other list."""
    return getattr(cells, "read_issue", None), getattr(cells, "read_detail", None)


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str


def file_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise MalformedFileError(
            path.name, None, f"unsupported file type {path.suffix!r}; use .csv, .tsv, .txt, .xlsx or .xls "
            "(save other spreadsheets as .xlsx or .csv)")
    return fmt


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _encodings_to_try(head: bytes, file_name: str, encoding: str) -> list[str]:
    if head.startswith(b"PK\x03\x04"):
        raise MalformedFileError(file_name, None, "this is a zip/XLSX file with a text name; rename it to .xlsx")
    if head.startswith(_OLE2_MAGIC[:4]):
        raise MalformedFileError(file_name, None, "this is an old Excel (XLS) file with a text name; rename it to .xls")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return ["utf-16"]
    if head.startswith(codecs.BOM_UTF8):
        return ["utf-8-sig"]
    return ["utf-8", "cp1252"] if encoding == "auto" else [encoding]


def _first_decodable(blocks: Callable[[], Iterable[bytes]], file_name: str, choices: list[str]) -> str:
    """The first encoding that decodes every block, checked incrementally (no whole-file copy)."""
    failure: tuple[str, int, int] | None = None
    for enc in choices:
        decoder = codecs.getincrementaldecoder(enc)("strict")
        offset, line = 0, 1
        try:
            for block in blocks():
                text = decoder.decode(block)
                nul = text.find("\x00")
                if nul >= 0:
                    raise MalformedFileError(file_name, line + text.count("\n", 0, nul),
                                             "contains a NUL byte: is it a binary file?")
                line += text.count("\n")
                offset += len(block)
            decoder.decode(b"", final=True)
            return enc
        except UnicodeDecodeError as exc:
            # the last encoding tried says where the unreadable byte is
            start = max(exc.start, 0)
            failure = (enc, offset + start, line + block[:start].count(b"\n"))
    assert failure is not None
    _, byte, line = failure
    raise MalformedFileError(
        file_name, line, f"bytes that are not {' or '.join(choices)} at byte {byte}; set `encoding:` in the manifest")


def _blocks(path: Path, size: int = 1 << 20) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while block := fh.read(size):
            yield block


def detect_encoding(path: Path, encoding: str = "auto") -> str:
    """A BOM decides; else UTF-8, falling back to Windows-1252 (auto). Reads the file in blocks."""
    with path.open("rb") as fh:
        head = fh.read(4)
    return _first_decodable(lambda: _blocks(path), path.name, _encodings_to_try(head, path.name, encoding))


def decode(data: bytes, file_name: str, encoding: str = "auto") -> Decoded:
    """Decode bytes in memory with the same rules as `detect_encoding`."""
    enc = _first_decodable(lambda: [data], file_name, _encodings_to_try(data[:4], file_name, encoding))
    return Decoded(data.decode(enc), enc)


def open_text(path: Path, encoding: str) -> TextIO:
    """The file as text for the csv module (newline='' keeps quoted newlines intact)."""
    return path.open("r", encoding=encoding, newline="")


def detect_delimiter(text: str) -> str | None:
    """The candidate delimiter (`,` `;` tab `|`) that splits the first non-blank record into the
    most fields, parsed as CSV with each candidate in turn, so that delimiters inside quoted
    fields do not count (`"Phone, mobile";"Name, first"` is two `;` fields: as `,` it is not even
    valid CSV). Ties go to the earlier candidate; None when no candidate gives two fields."""
    best, most = None, 1
    for candidate in _CANDIDATE_DELIMITERS:
        fields = _first_record_width(text, candidate)
        if fields > most:
            best, most = candidate, fields
    return best


def _first_record_width(text: str, delimiter: str) -> int:
    """Fields in the first record with a non-blank cell, read strictly with `delimiter`; 0 when
    that record is not valid CSV with it (or the text holds none)."""
    try:
        for cells in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True):
            if any(cell.strip() for cell in cells):
                return len(cells)
    except csv.Error:
        return 0
    return 0


def _lines(source: str | TextIO) -> TextIO:
    return io.StringIO(source, newline="") if isinstance(source, str) else source


def read_delimited(source: str | TextIO, file_name: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Parse CSV (text or an open file) strictly; yields (line where the record starts, cells)."""
    reader = csv.reader(_lines(source), delimiter=delimiter, strict=True)
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise MalformedFileError(file_name, start, f"not valid CSV ({exc})") from exc
        yield start, cells
        start = reader.line_num + 1


def read_lines(source: str | TextIO) -> Iterator[tuple[int, list[str]]]:
    """One value per line (pasted numbers)."""
    for number, line in enumerate(_lines(source), start=1):
        yield number, [line.rstrip("\r\n")]


def _cell_text(value: object, number_format: str | None) -> str | None:
    """A workbook cell's value as the text Excel shows: numbers without a spurious ".0", dates
    as ISO, TRUE/FALSE; a number Excel has lost digits of, or shows in scientific notation
    (`number_format`), in scientific notation, so that the rules reject it."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, (int, float)):
        shown_scientific = bool(_SCIENTIFIC_FORMAT.search(number_format or ""))
        as_float = float(value)
        # Excel keeps 15 significant digits: a longer integer, or one shown in scientific
        # notation, has lost digits. Keep it as Excel shows it, so the rules reject it.
        if shown_scientific or abs(as_float) >= 1e15:
            return f"{as_float:.5E}".replace("E+0", "E+")
        if as_float.is_integer():
            return str(int(as_float))
        return repr(as_float)
    return str(value)


def _xlsx_text(cell) -> str | None:
    """An openpyxl cell as text (`_cell_text` with its number format)."""
    return _cell_text(cell.value, cell.number_format if isinstance(cell.value, (int, float)) else None)


def _row_limit_error(file_name: str, sheet: str, line: int, limits: FileLimits) -> MalformedFileError:
    return MalformedFileError(
        file_name, line, f"sheet {sheet!r} has more than {limits.max_rows_per_sheet:,} rows, the "
        f"policy's limit; split it, save it as CSV, or {_raise_it('max_rows_per_sheet')}")


def _chosen_sheet(file_name: str, names: list[str], worksheets: list[str], sheet: str | None) -> str:
    """The sheet to read: the one named (`sheet:` in the manifest), else the first worksheet."""
    if sheet is not None:
        if sheet not in names:
            raise MalformedFileError(file_name, None, f"no sheet {sheet!r}; sheets: {names}")
        return sheet
    if not worksheets:
        raise MalformedFileError(file_name, None, "the workbook has no worksheet")
    return worksheets[0]


def _log_other_sheets(file_name: str, read: str, others: list[dict]) -> None:
    if others:
        shown = ", ".join(f"{o['name']!r} ({o['rows']:,} rows with data)" for o in others)
        log.info("%s: read sheet %r; not read (name another with `sheet:` in the manifest): %s",
                 file_name, read, shown)


def read_xlsx(path: Path, sheet: str | None = None,
              limits: FileLimits | None = None) -> Iterator[tuple[int, list[str | None]]]:
    """Rows of the first (or named) sheet; see `open_xlsx`."""
    return open_xlsx(path, sheet, limits)[0]


def open_xlsx(path: Path, sheet: str | None = None,
              limits: FileLimits | None = None) -> tuple[Iterator[tuple[int, Cells]], dict]:
    """The rows of the named sheet (else the first worksheet), streamed by openpyxl, and which:
    `{"sheet": its name, "other_sheets": [{"name", "rows"}, ...]}`, the other worksheets with
    their rows holding a value (counted now, by reading them, up to one past the row limit).
    Numbers as Excel shows them, dates as ISO. The size check (`check_xlsx_size`) runs first,
    before the workbook is opened; the rows are counted as they are read, and the row past
    `max_rows_per_sheet` is refused.

    A cell holding a formula with no saved value (a workbook written by a program and never
    opened in Excel) is not read as empty: its record's `Cells.read_issue` is FORMULA_NO_VALUE,
    naming the cells in `read_detail`. openpyxl reads a formula's saved value (data_only) or its
    formula, never both, so each sheet is parsed with openpyxl's own WorkSheetParser (openpyxl
    3.1.5, pinned: its read-only internals) marking a `<f>` cell with no `<v>` value. Rows are
    read as the sheet holds them, whatever its `<dimension>` says: openpyxl's iter_rows drops
    the cells and rows outside it. A row numbered before the one read last is malformed.
    """
    limits = limits or FileLimits()
    check_xlsx_size(path, limits)
    from zipfile import BadZipFile

    import openpyxl  # imported here: only XLSX imports pay for it

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError) as exc:
        raise MalformedFileError(path.name, None, f"not a readable XLSX workbook ({exc})") from exc
    try:
        name = _chosen_sheet(path.name, book.sheetnames, [ws.title for ws in book.worksheets], sheet)
        ws = book[name]
        others = [{"name": other.title, "rows": _rows_with_values(_xlsx_sheet(book, other, path.name), limits)}
                  for other in book.worksheets if other.title != name]
    except BaseException:
        book.close()
        raise
    _log_other_sheets(path.name, name, others)
    return _xlsx_records(book, ws, path.name, limits), {"sheet": name, "other_sheets": others}


def _rows_with_values(rows: Iterable[tuple[int, list]], limits: FileLimits) -> int:
    count = 0
    for _, cells in rows:
        if any(clean_cell(c) for c in cells) or record_issue(cells)[0]:
            count += 1
            if count > limits.max_rows_per_sheet:
                break
    return count


def _xlsx_records(book, ws, file_name: str, limits: FileLimits) -> Iterator[tuple[int, Cells]]:
    try:
        for number, cells in _xlsx_sheet(book, ws, file_name):
            if number > limits.max_rows_per_sheet:
                raise _row_limit_error(file_name, ws.title, number, limits)
            yield number, cells
    finally:
        book.close()


def _formula_aware_parser(book, ws, source):
    """openpyxl's WorkSheetParser for `ws`, as its read-only iter_rows builds it (saved values),
    marking a formula cell with no saved value: data type `_NO_VALUE`. An empty `<v/>` is no
    value, but for a text formula (`t="str"`), whose saved value may be the empty string."""
    from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser

    class Parser(WorkSheetParser):
        def parse_cell(self, element):
            cell = super().parse_cell(element)
            if cell["value"] is None and element.find(FORMULA_TAG) is not None:
                saved = element.find(VALUE_TAG)
                if saved is None or element.get("t") != "str":
                    cell["data_type"] = _NO_VALUE
            return cell

    return Parser(source, ws._shared_strings, data_only=True, epoch=book.epoch,
                  date_formats=book._date_formats, timedelta_formats=book._timedelta_formats)


def _xlsx_sheet(book, ws, file_name: str) -> Iterator[tuple[int, Cells]]:
    """Every row of `ws` from row 1, the missing ones (no `<row>`) as empty rows, each at least as
    wide as the sheet's `<dimension>` says (as openpyxl's iter_rows pads them)."""
    from openpyxl.cell.read_only import ReadOnlyCell
    from openpyxl.utils import get_column_letter

    width = ws.max_column or 0  # from the sheet's <dimension>; None when it has none
    expected = 1
    with ws._get_source() as source:
        for number, row in _formula_aware_parser(book, ws, source).parse():
            if number < expected:
                raise MalformedFileError(file_name, number, f"sheet {ws.title!r} holds row {number} after row "
                                         f"{expected - 1}; open the file in Excel and save it again")
            for missing in range(expected, number):
                yield missing, Cells([None] * width)
            expected = number + 1
            cells = Cells([None] * max(width, max((c["column"] for c in row), default=0)))
            no_value = []
            for cell in row:
                if cell["data_type"] == _NO_VALUE:
                    no_value.append(f"{get_column_letter(cell['column'])}{number}")
                elif cell["value"] is not None:
                    cells[cell["column"] - 1] = _xlsx_text(ReadOnlyCell(ws, **cell))
            if no_value:
                cells.read_issue, cells.read_detail = FORMULA_NO_VALUE, _formula_detail(no_value)
            yield number, cells
    for missing in range(expected, (ws.max_row or 0) + 1):
        yield missing, Cells([None] * width)


def _formula_detail(coordinates: list[str]) -> str:
    if len(coordinates) == 1:
        return (f"cell {coordinates[0]} holds a formula with no saved value; "
                "open and save the file in Excel, or paste values")
    return (f"cells {', '.join(coordinates)} hold formulas with no saved value; "
            "open and save the file in Excel, or paste values")


def check_xls_size(path: Path, limits: FileLimits) -> None:
    """Refuse an XLS (an OLE2 compound file) that is not one, or bigger on disk than
    `limits.max_shared_strings_mb`: calamine reads the whole file into memory (nothing of an XLS
    is streamed), and an XLS is not compressed, so its size on disk is what is held."""
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK\x03\x04"):
        raise MalformedFileError(path.name, None, "this is an XLSX workbook with an .xls name; rename it to .xlsx")
    if head != _OLE2_MAGIC:
        raise MalformedFileError(path.name, None, "not a readable XLS workbook (not an OLE2 compound file)")
    size = path.stat().st_size
    if size > limits.max_shared_strings_mb * 1024 * 1024:
        raise MalformedFileError(
            path.name, None, f"the XLS workbook is {size / 2**20:,.1f} MB, read into memory whole, over the "
            f"policy's limit of {limits.max_shared_strings_mb:,} MB; save it as .xlsx or CSV, split it, "
            f"or {_raise_it('max_shared_strings_mb')}")


def read_xls(path: Path, sheet: str | None = None,
             limits: FileLimits | None = None) -> Iterator[tuple[int, list[str | None]]]:
    """Rows of the first (or named) sheet of an old Excel (BIFF, .xls) workbook; see `open_xls`."""
    return open_xls(path, sheet, limits)[0]


def open_xls(path: Path, sheet: str | None = None,
             limits: FileLimits | None = None) -> tuple[Iterator[tuple[int, list[str | None]]], dict]:
    """An XLS workbook read by python-calamine (openpyxl reads no XLS): the rows of the named
    sheet (else the first worksheet) from row 1, cells as `_cell_text` gives them, and which
    (`{"sheet", "other_sheets"}` as `open_xlsx` gives them).

    The bound: `check_xls_size` (the file, read whole, within `max_shared_strings_mb`), then the
    sheet, which calamine builds whole, as the rectangle from its first to its last cell, before
    the first row is given; the XLS format caps that rectangle at 65,536 rows x 256 columns,
    measured at a 1,036 MiB peak for a 5.6 KB file with cells at A1 and IV65536 (a real sheet of
    65,536 x 6 cells: tens of MiB). A sheet reaching past `max_rows_per_sheet` is refused before
    its first row is given. What calamine cannot say, and so this reader cannot: a cell's number
    format (a number stored whole but shown as 1.41556E+10 is read whole; a number of more than
    15 digits is still given in scientific notation, as Excel lost its digits) and a formula with
    no saved value (read as empty; Excel and the programs writing XLS save formulas' values).
    """
    limits = limits or FileLimits()
    check_xls_size(path, limits)
    import python_calamine  # imported here: only XLS imports pay for it

    try:
        with python_calamine.CalamineWorkbook.from_path(str(path)) as book:  # a sheet read stays readable
            worksheets = [m.name for m in book.sheets_metadata if m.typ == python_calamine.SheetTypeEnum.WorkSheet]
            name = _chosen_sheet(path.name, book.sheet_names, worksheets, sheet)
            chosen = book.get_sheet_by_name(name)
            others = [{"name": other, "rows": _rows_with_values(_xls_sheet(book.get_sheet_by_name(other)), limits)}
                      for other in worksheets if other != name]
    except (python_calamine.CalamineError, OSError, ValueError) as exc:
        raise MalformedFileError(path.name, None, f"not a readable XLS workbook ({exc})") from exc
    if chosen.end is not None and chosen.end[0] + 1 > limits.max_rows_per_sheet:
        raise _row_limit_error(path.name, name, limits.max_rows_per_sheet + 1, limits)
    _log_other_sheets(path.name, name, others)
    return _xls_sheet(chosen), {"sheet": name, "other_sheets": others}


def _xls_sheet(sheet) -> Iterator[tuple[int, list[str | None]]]:
    """calamine gives a sheet's rows from row 1, each from the sheet's first used column: the
    columns before it are put back, so that a cell keeps its column."""
    if sheet.end is None:  # an empty sheet
        return
    before = [None] * sheet.start[1]
    for number, row in enumerate(sheet.iter_rows(), start=1):
        yield number, [*before, *(_cell_text(value, None) for value in row)]


def clean_cell(cell: object) -> str | None:
    """A cell as trimmed text; empty as None."""
    if cell is None:
        return None
    text = str(cell).strip()
    return text or None


def open_records(path: Path, fmt: str, *, encoding: str = "auto", delimiter: str | None = None,
                 sheet: str | None = None, limits: FileLimits | None = None) -> tuple[Iterator[tuple[int, list]], dict]:
    """A file's records, streamed (never held in memory whole; an XLS sheet is, see `open_xls`),
    and how it was read: `{"encoding": ..., "delimiter": ...}`, for a workbook also `"sheet"` (the
    one read) and `"other_sheets"` (`[{"name", "rows"}]`, the worksheets not read, for the
    summary). A text file without a delimiter is one value per line; one whose records are its
    lines (`lines.is_plain`) is read as `lines.PlainLines`. A workbook is read within
    `limits` (default FileLimits()); its size is checked here, at once, and its sheets chosen."""
    if fmt in ("xlsx", "xls"):
        records, which = (open_xlsx if fmt == "xlsx" else open_xls)(path, sheet, limits)
        return records, {"encoding": None, "delimiter": None, **which}
    chosen = detect_encoding(path, encoding)
    if fmt != "text" or delimiter is not None:
        with open_text(path, chosen) as fh:
            delimiter = delimiter or detect_delimiter(fh.read(1 << 16)) or ","
    how = {"encoding": chosen, "delimiter": delimiter}
    if is_plain(path, chosen, quoted=delimiter is not None):
        return PlainLines(path, chosen, delimiter), how
    return _streamed(path, chosen, delimiter), how


def _streamed(path: Path, encoding: str, delimiter: str | None) -> Iterator[tuple[int, list]]:
    with open_text(path, encoding) as fh:
        yield from read_delimited(fh, path.name, delimiter) if delimiter else read_lines(fh)


def first_filled(records: Iterator[tuple[int, list]],
                 file_name: str) -> tuple[list[tuple[int, list]], tuple[int, list]]:
    """The blank records at the top, and the first with a cell in it (the header, or the first
    data row); the rest stay in `records`. A file with no such record raises MalformedFileError."""
    blanks = []
    for record in records:
        if any(clean_cell(c) for c in record[1]):
            return blanks, record
        blanks.append(record)
    raise MalformedFileError(file_name, None, "the file has no rows (it is empty or blank)")


def prepend(head: list[tuple[int, list]], rest: Iterator[tuple[int, list]]) -> Iterator[tuple[int, list]]:
    """Put records read ahead (to look at the header) back in front of the rest."""
    if isinstance(rest, PlainLines):
        rest.unread(head)
        return rest
    return itertools.chain(head, rest)


@dataclass(frozen=True)
class HeadedRows:
    """A delimited export read whole: how it was read, and every data row."""
    encoding: str
    delimiter: str
    rows: list[dict[str, Any]]  # one per data row: line_number, read_issue and the mapped cells


def read_headed_rows(path: Path, *, encoding: str, delimiter: str | None, fields: Iterable[str],
                     map_header: Callable[[list[str | None], int], dict[str, int]]) -> HeadedRows:
    """A delimited export with a header row (leading blank rows skipped). `map_header(header,
    line)` says which cell feeds which field (and raises MalformedFileError when one is
    missing). Every data row is kept, with `read_issue` blank_row or extra_fields."""
    records, how = open_records(path, "csv", encoding=encoding, delimiter=delimiter)
    _, (header_line, header_cells) = first_filled(records, path.name)
    header = [clean_cell(c) for c in header_cells]
    columns = map_header(header, header_line)
    wanted = tuple(fields)
    rows = []
    for line_number, raw_cells in records:
        cells = [clean_cell(c) for c in raw_cells]
        issue = None
        if not any(cells):
            issue = "blank_row"
        elif len(cells) > len(header) and any(cells[len(header):]):
            issue = "extra_fields"
        row: dict[str, Any] = {"line_number": line_number, "read_issue": issue}
        for field_name in wanted:
            index = columns.get(field_name)
            row[field_name] = cells[index] if index is not None and index < len(cells) else None
        rows.append(row)
    return HeadedRows(how["encoding"], how["delimiter"], rows)



def read_export(path: Path, what: str, *, encoding: str, delimiter: str | None, fields: Iterable[str],
                map_header: Callable[[list[str | None], str, int], dict[str, int]]) -> HeadedRows:
    """A provider's delimited export (EXPORT_SUFFIXES) read whole by `read_headed_rows`, with
    `map_header(header, file name, line)`; any other file type is refused, naming `what`."""
    if path.suffix.lower() not in EXPORT_SUFFIXES:
        raise MalformedFileError(path.name, None, f"unsupported file type {path.suffix!r} for {what}; "
                                 "export them as .csv")
    return read_headed_rows(path, encoding=encoding, delimiter=delimiter, fields=fields,
                            map_header=lambda header, line: map_header(header, path.name, line))
