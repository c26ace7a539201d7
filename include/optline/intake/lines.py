"""Text files whose records are their lines, read a block of lines at a time.

A delimited file with no quote character in it (and a one-value-per-line file), with no carriage
return outside a CRLF line end, has one record per line: the csv module would split it exactly
where `str.split` does. Such a file (`is_plain`) is read by `PlainLines`, which yields the same
`(line number, cells)` records as `readers.read_delimited` / `readers.read_lines` when iterated
and, through `blocks()`, the rest of the file as text a few MB at a time, for
`chunks.staged_chunks` to split into columns with Arrow instead of row by row in Python
(1M rows: 1.35 s against 5.79 s, bench/README.md "Staging plain lines").

Any other text file (a quote anywhere, a lone CR, UTF-16) is read by the csv module, which
knows quoted delimiters and line breaks inside quotes.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from pathlib import Path

BLOCK_CHARS = 1 << 22  # characters read at a time (about 60,000 lines of a contact list)
# Encodings in which `"`, CR and LF are the bytes 0x22, 0x0D, 0x0A and no other character holds them.
_ASCII_SUPERSETS = frozenset({"utf-8", "utf-8-sig", "cp1252", "latin-1", "iso8859-1", "ascii"})


def field_too_large() -> str:
    """What `readers.read_delimited` says of a cell over the csv module's field limit."""
    return f"not valid CSV (field larger than field limit ({csv.field_size_limit()}))"


def is_plain(path: Path, encoding: str, quoted: bool) -> bool:
    """True when every record of the file is one line: an ASCII-compatible encoding, no `"` (when
    `quoted`, i.e. the file is read as CSV) and every CR followed by LF. Scans the raw bytes."""
    if codecs.lookup(encoding).name not in _ASCII_SUPERSETS:
        return False
    after_cr = False  # the previous block ended in CR: this one must start with LF
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            if quoted and b'"' in block:
                return False
            if after_cr and not block.startswith(b"\n"):
                return False
            ends_in_cr = block.endswith(b"\r")
            if block.count(b"\r") != block.count(b"\r\n") + ends_in_cr:
                return False
            after_cr = ends_in_cr
    return not after_cr


class PlainLines(Iterator[tuple[int, list[str]]]):
    """The records of a file `is_plain` accepted: `(line number, cells)`, the cells the line split
    at `delimiter` (None: the line is the one cell), the CR of a CRLF removed. Records taken one by
    one (to look at the header) can be put back with `unread`; `blocks()` then yields them and the
    rest of the file as `(first line number, lines joined by LF)`, each line keeping its CR."""

    def __init__(self, path: Path, encoding: str, delimiter: str | None):
        self.path, self.encoding, self.delimiter = path, encoding, delimiter
        self._raw = self._read()
        self._pending: list[tuple[int, str]] = []  # lines taken out of a block, not yet given
        self._at = 0

    def _read(self) -> Iterator[tuple[int, str]]:
        line = 1
        carry = ""
        with self.path.open("r", encoding=self.encoding, newline="") as fh:
            while block := fh.read(BLOCK_CHARS):
                text = carry + block
                cut = text.rfind("\n")
                if cut < 0:
                    carry = text
                    continue
                whole, carry = text[:cut], text[cut + 1:]
                yield line, whole
                line += whole.count("\n") + 1
        if carry:
            yield line, carry

    def __next__(self) -> tuple[int, list[str]]:
        if self._at == len(self._pending):
            first, text = next(self._raw)
            self._pending = [(first + i, line) for i, line in enumerate(text.split("\n"))]
            self._at = 0
        line, text = self._pending[self._at]
        self._at += 1
        text = text.removesuffix("\r")
        if self.delimiter is None:
            return line, [text]
        cells = text.split(self.delimiter) if text else []  # the csv module reads an empty line as no cell
        if len(text) > csv.field_size_limit() and max(map(len, cells)) > csv.field_size_limit():
            from optline.intake.readers import MalformedFileError  # readers imports this module

            raise MalformedFileError(self.path.name, line, field_too_large())
        return line, cells

    def close(self) -> None:
        """Close the file (records not read are not read)."""
        self._raw.close()

    def unread(self, records: list[tuple[int, list[str]]]) -> None:
        """Put records this object gave back in front of the rest (their text is the cells joined)."""
        back = [(line, cells[0] if self.delimiter is None else self.delimiter.join(cells)) for line, cells in records]
        self._pending, self._at = back + self._pending[self._at:], 0

    def blocks(self) -> Iterator[tuple[int, str]]:
        """What is left, as runs of consecutive lines: `(first line number, lines joined by LF)`."""
        run: list[str] = []
        start = 0
        for line, text in self._pending[self._at:]:
            if run and line != start + len(run):
                yield start, "\n".join(run)
                run = []
            if not run:
                start = line
            run.append(text)
        self._pending, self._at = [], 0
        if run:
            yield start, "\n".join(run)
        yield from self._raw
