"""Read inbox files (CSV, XLSX, one-number-per-line text) into rows of text cells.

Every reader yields `(line_number, cells)` for every data record, blank ones included, so
that nothing read can vanish. A file that cannot be read as a whole (bad bytes, a broken
quote, a binary file under a text name) raises `MalformedFileError` naming the file, the
line and the cause, before anything is written. An XLSX is read within `FileLimits` (from the
list's policy, `file_limits:`): the uncompressed size its zip directory declares, checked before
anything is parsed, and the rows of its sheet, counted while reading.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

FORMATS = {".csv": "csv", ".tsv": "csv", ".txt": "text", ".xlsx": "xlsx"}
EXPORT_SUFFIXES = (".csv", ".tsv", ".txt")  # what a provider's delimited export may be called
_CANDIDATE_DELIMITERS = (",", ";", "\t", "|")
_SCIENTIFIC_FORMAT = re.compile(r"[0#.]E\+", re.IGNORECASE)

csv.field_size_limit(1 << 20)


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


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str


def file_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise MalformedFileError(
            path.name, None, f"unsupported file type {path.suffix!r}; use .csv, .tsv, .txt or .xlsx "
            "(save .xls files as .xlsx)")
    return fmt


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _encodings_to_try(head: bytes, file_name: str, encoding: str) -> list[str]:
    if head.startswith(b"PK\x03\x04"):
        raise MalformedFileError(file_name, None, "this is a zip/XLSX file with a text name; rename it to .xlsx")
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
    """The candidate delimiter seen most in the first non-blank line; None for one column."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in _CANDIDATE_DELIMITERS}
    best = max(_CANDIDATE_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else None


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


def _xlsx_text(cell) -> str | None:
    value = cell.value
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, (int, float)):
        shown_scientific = bool(_SCIENTIFIC_FORMAT.search(cell.number_format or ""))
        as_float = float(value)
        # Excel keeps 15 significant digits: a longer integer, or one shown in scientific
        # notation, has lost digits. Keep it as Excel shows it, so the rules reject it.
        if shown_scientific or abs(as_float) >= 1e15:
            return f"{as_float:.5E}".replace("E+0", "E+")
        if as_float.is_integer():
            return str(int(as_float))
        return repr(as_float)
    return str(value)


def read_xlsx(path: Path, sheet: str | None = None,
              limits: FileLimits | None = None) -> Iterator[tuple[int, list[str | None]]]:
    """Rows of the first (or named) sheet; numbers as Excel shows them, dates as ISO. The size
    check (`check_xlsx_size`) runs here, before the workbook is opened; the rows are counted as
    they are read, and the row past `max_rows_per_sheet` is refused."""
    limits = limits or FileLimits()
    check_xlsx_size(path, limits)
    return _xlsx_rows(path, sheet, limits)


def _xlsx_rows(path: Path, sheet: str | None, limits: FileLimits) -> Iterator[tuple[int, list[str | None]]]:
    from zipfile import BadZipFile

    import openpyxl  # imported here: only XLSX imports pay for it

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError) as exc:
        raise MalformedFileError(path.name, None, f"not a readable XLSX workbook ({exc})") from exc
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise MalformedFileError(path.name, None, f"no sheet {sheet!r}; sheets: {book.sheetnames}")
        ws = book[sheet] if sheet else book.worksheets[0]
        for number, row in enumerate(ws.iter_rows(min_row=1), start=1):
            if number > limits.max_rows_per_sheet:
                raise MalformedFileError(
                    path.name, number, f"sheet {ws.title!r} has more than {limits.max_rows_per_sheet:,} rows, the "
                    f"policy's limit; split it, save it as CSV, or {_raise_it('max_rows_per_sheet')}")
            yield number, [_xlsx_text(c) for c in row]
    finally:
        book.close()


def clean_cell(cell: object) -> str | None:
    """A cell as trimmed text; empty as None."""
    if cell is None:
        return None
    text = str(cell).strip()
    return text or None


def open_records(path: Path, fmt: str, *, encoding: str = "auto", delimiter: str | None = None,
                 sheet: str | None = None, limits: FileLimits | None = None) -> tuple[Iterator[tuple[int, list]], dict]:
    """A file's records, streamed (never held in memory whole), and how it was read:
    `{"encoding": ..., "delimiter": ...}`. A text file without a delimiter is one value per line.
    An XLSX is read within `limits` (default FileLimits()); its size is checked here, at once."""
    if fmt == "xlsx":
        return read_xlsx(path, sheet, limits), {"encoding": None, "delimiter": None}
    chosen = detect_encoding(path, encoding)
    if fmt != "text" or delimiter is not None:
        with open_text(path, chosen) as fh:
            delimiter = delimiter or detect_delimiter(fh.read(1 << 16)) or ","
    return _streamed(path, chosen, delimiter), {"encoding": chosen, "delimiter": delimiter}


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
    yield from head
    yield from rest


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
