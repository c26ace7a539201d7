"""Small XLSX files with a large inside, written part by part (never held in memory whole):
a workbook whose shared strings declare many MB (repeated text deflates ~1000:1), and a
workbook of many rows. Used by tests/optline/intake/test_readers_file_limits.py and
bench/xlsx_limits.py."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

_SML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_CONTENT_TYPES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="{_PKG}/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="{_SML}.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_SML}.worksheet+xml"/>
<Override PartName="/xl/sharedStrings.xml" ContentType="{_SML}.sharedStrings+xml"/>
</Types>""".encode()
_RELS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="{_PKG}/relationships">
<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>
</Relationships>""".encode()
_WORKBOOK = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="{_REL}">
<sheets><sheet name="Contacts" sheetId="1" r:id="rId1"/></sheets></workbook>""".encode()
_WORKBOOK_RELS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="{_PKG}/relationships">
<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>
</Relationships>""".encode()
_MAIN = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _write(book: zipfile.ZipFile, name: str, parts: Iterable[bytes]) -> None:
    with book.open(name, "w", force_zip64=True) as out:
        for part in parts:
            out.write(part)


def write_xlsx(path: Path, rows: Iterable[bytes], strings: Iterable[bytes], string_count: int,
               compresslevel: int = 9) -> Path:
    """An XLSX of one sheet `Contacts`: `rows` are `<row>` elements, `strings` `<si>` elements."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as book:
        for name, data in (("[Content_Types].xml", _CONTENT_TYPES), ("_rels/.rels", _RELS),
                           ("xl/workbook.xml", _WORKBOOK), ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)):
            book.writestr(name, data)
        _write(book, "xl/worksheets/sheet1.xml",
               [b'<?xml version="1.0" encoding="UTF-8"?><worksheet ' + _MAIN + b"><sheetData>", *rows,
                b"</sheetData></worksheet>"])
        _write(book, "xl/sharedStrings.xml",
               [b'<?xml version="1.0" encoding="UTF-8"?><sst ' + _MAIN
                + f' count="{string_count}" uniqueCount="{string_count}">'.encode(), *strings, b"</sst>"])
    return path


def _header_and_phones(numbers: Iterable[int]) -> Iterator[bytes]:
    yield b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
    for index, number in enumerate(numbers, start=2):
        yield f'<row r="{index}"><c><v>{number}</v></c><c t="s"><v>2</v></c></row>'.encode()


def big_shared_strings_xlsx(path: Path, megabytes: float, string_chars: int = 1000, compresslevel: int = 9) -> Path:
    """Two data rows, and shared strings declaring about `megabytes` MB of text (repeated
    strings of `string_chars` characters that no cell uses): ~2 KB per MB on disk at level 9,
    written fastest (and a little bigger) at `compresslevel` 1."""
    filler = b"<si><t>" + b"x" * string_chars + b"</t></si>"
    count = max(1, int(megabytes * 1024 * 1024) // len(filler))
    strings = [b"<si><t>phone</t></si>", b"<si><t>first_name</t></si>", b"<si><t>Ann</t></si>"]

    def all_strings() -> Iterator[bytes]:
        yield from strings
        block = filler * 1000
        for _ in range(count // 1000):
            yield block
        yield filler * (count % 1000)

    return write_xlsx(path, _header_and_phones([4155550101, 4155550102]), all_strings(), count + len(strings),
                      compresslevel)


def many_rows_xlsx(path: Path, rows: int) -> Path:
    """A header (phone, first_name) and `rows` data rows of a US number and the name Ann."""
    strings = [b"<si><t>phone</t></si>", b"<si><t>first_name</t></si>", b"<si><t>Ann</t></si>"]
    return write_xlsx(path, _header_and_phones(4155550000 + i % 10_000 for i in range(rows)), strings, len(strings))
