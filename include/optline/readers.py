"""Read inbox files (CSV, XLSX, one-number-per-line text) into rows of text cells.

Every reader yields `(line_number, cells)` for every data record, blank ones included, so
that nothing read can vanish. A file that cannot be read as a whole (bad bytes, a broken
quote, a binary file under a text name) raises `MalformedFileError` naming the file, the
line and the cause, before anything is written.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

FORMATS = {".csv": "csv", ".tsv": "csv", ".txt": "text", ".xlsx": "xlsx"}
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


def decode(data: bytes, file_name: str, encoding: str = "auto") -> Decoded:
    """Decode bytes: a BOM decides; else UTF-8, falling back to Windows-1252 (auto)."""
    if data.startswith(b"PK\x03\x04"):
        raise MalformedFileError(file_name, None, "this is a zip/XLSX file with a text name; rename it to .xlsx")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        choices = ["utf-16"]
    elif data.startswith(codecs.BOM_UTF8):
        choices = ["utf-8-sig"]
    elif encoding == "auto":
        choices = ["utf-8", "cp1252"]
    else:
        choices = [encoding]
    error: UnicodeDecodeError | None = None
    for enc in choices:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError as exc:
            error = exc  # the last encoding tried says where the unreadable byte is
            continue
        nul = text.find("\x00")
        if nul >= 0:
            line = text.count("\n", 0, nul) + 1
            raise MalformedFileError(file_name, line, "contains a NUL byte: is it a binary file?")
        return Decoded(text, enc)
    assert error is not None
    raise MalformedFileError(
        file_name, _line_of(data, error.start),
        f"bytes that are not {' or '.join(choices)} at byte {error.start}; set `encoding:` in the manifest",
    )


def detect_delimiter(text: str) -> str | None:
    """The candidate delimiter seen most in the first non-blank line; None for one column."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in _CANDIDATE_DELIMITERS}
    best = max(_CANDIDATE_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else None


def read_delimited(text: str, file_name: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Parse CSV text strictly; yields (line where the record starts, cells)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
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


def read_lines(text: str) -> Iterator[tuple[int, list[str]]]:
    """One value per line (pasted numbers)."""
    for number, line in enumerate(text.splitlines(), start=1):
        yield number, [line]


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


def read_xlsx(path: Path, sheet: str | None = None) -> Iterator[tuple[int, list[str | None]]]:
    """Rows of the first (or named) sheet; numbers as Excel shows them, dates as ISO."""
    import openpyxl  # imported here: only XLSX imports pay for it
    from zipfile import BadZipFile

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError) as exc:
        raise MalformedFileError(path.name, None, f"not a readable XLSX workbook ({exc})") from exc
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise MalformedFileError(path.name, None, f"no sheet {sheet!r}; sheets: {book.sheetnames}")
        ws = book[sheet] if sheet else book.worksheets[0]
        for number, row in enumerate(ws.iter_rows(min_row=1), start=1):
            yield number, [_xlsx_text(c) for c in row]
    finally:
        book.close()
