"""Files whose records are their lines: chosen only when the csv module would split them the same,
read record by record or a block at a time, and staged into the same tables as the csv path."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optline.intake import lines
from optline.intake.chunks import staged_chunks
from optline.intake.lines import PlainLines, is_plain
from optline.intake.readers import MalformedFileError, open_records, prepend, read_delimited, read_lines

DATA = ["phone_raw", "first_name", "email"]


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _text(path: Path) -> str:
    with path.open(encoding="utf-8", newline="") as fh:
        return fh.read()


def _staged(records, width=3, by_column=None, chunk_rows=7):
    out = staged_chunks(records, batch_id=3, data_columns=DATA, width=width, names=("Phone", "Name", "Notes"),
                        by_column={"phone_raw": 0, "first_name": 1} if by_column is None else by_column,
                        chunk_rows=chunk_rows)
    return [chunk.to_pylist() for chunk in out]


@pytest.mark.parametrize(("text", "quoted", "plain"), [
    ("phone,name\n4155550100,Ann\n", True, True),
    ("phone,name\r\n4155550100,Ann\r\n", True, True),
    ("phone,name\n4155550100,Ann", True, True),
    ('phone,name\n"4155550100",Ann\n', True, False),
    ('4155550100 "home"\n', False, True),
    ("phone,name\r4155550100,Ann\r", True, False),
    ("phone,name\n4155550100,Ann\r", True, False),
    ("phone,name\n4155550100\r\r\n", True, False),
])
def test_only_files_the_csv_module_would_split_at_each_line_are_plain(tmp_path: Path, text, quoted, plain):
    assert is_plain(_write(tmp_path / "f.csv", text), "utf-8", quoted) is plain


def test_a_crlf_cut_between_two_blocks_is_still_plain_and_a_lone_cr_there_is_not(tmp_path: Path):
    head = "x" * ((1 << 20) - 1)
    assert is_plain(_write(tmp_path / "a.csv", head + "\r\nb\n"), "utf-8", True)
    assert not is_plain(_write(tmp_path / "b.csv", head + "\rb\n"), "utf-8", True)


def test_utf16_is_never_read_as_plain_lines(tmp_path: Path):
    assert not is_plain(_write(tmp_path / "f.csv", "phone\n4155550100\n", "utf-16"), "utf-16", True)


def test_open_records_reads_a_plain_file_as_lines_and_a_quoted_one_with_the_csv_module(tmp_path: Path):
    plain, _ = open_records(_write(tmp_path / "a.csv", "phone,name\n4155550100,Ann\n"), "csv")
    quoted, _ = open_records(_write(tmp_path / "b.csv", 'phone,name\n"4155550100","Ann, Lee"\n'), "csv")
    assert isinstance(plain, PlainLines)
    assert not isinstance(quoted, PlainLines)
    assert list(quoted) == [(1, ["phone", "name"]), (2, ["4155550100", "Ann, Lee"])]


def test_records_taken_one_by_one_then_put_back_come_first_in_the_blocks(tmp_path: Path):
    records = PlainLines(_write(tmp_path / "f.csv", "\n\nphone;name\r\n4155550100;Ann\r\n"), "utf-8", ";")
    head = [next(records), next(records), next(records)]
    assert head == [(1, []), (2, []), (3, ["phone", "name"])]
    assert prepend(head[1:], records) is records
    assert list(records.blocks()) == [(2, "\nphone;name\n4155550100;Ann\r")]


def test_blocks_cut_at_line_ends_and_number_every_line(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(lines, "BLOCK_CHARS", 10)
    path = _write(tmp_path / "f.txt", "4155550100\n\n4155550101\r\n4155550102")
    blocks = list(PlainLines(path, "utf-8", None).blocks())
    assert len(blocks) > 1
    assert [(first + i, line) for first, text in blocks for i, line in enumerate(text.split("\n"))] == [
        (1, "4155550100"), (2, ""), (3, "4155550101\r"), (4, "4155550102")]
    assert list(PlainLines(path, "utf-8", None)) == list(read_lines(_text(path)))


def test_a_cell_over_the_field_limit_fails_the_file_at_its_line_as_the_csv_module_does(tmp_path: Path):
    import csv

    big = "9" * (csv.field_size_limit() + 1)
    path = _write(tmp_path / "f.csv", f"phone,name\n4155550100,Ann\n4155550101,{big}\n")
    with pytest.raises(MalformedFileError) as from_csv:
        list(read_delimited(path.read_text(), path.name, ","))
    records, _ = open_records(path, "csv")
    assert isinstance(records, PlainLines)
    with pytest.raises(MalformedFileError) as from_blocks:
        _staged(records)
    with pytest.raises(MalformedFileError) as one_by_one:
        list(PlainLines(path, "utf-8", ","))
    assert {(e.value.line, e.value.cause) for e in (from_csv, from_blocks, one_by_one)} \
        == {(3, "not valid CSV (field larger than field limit (1048576))")}


_CELL = st.one_of(st.just(""), st.just(" "), st.sampled_from(["\u00a0x\u2003", "\x1c", "\u3000", "\x85y", "a b", "é"]),
                  st.text(alphabet=st.characters(blacklist_characters='\r\n",\x00', blacklist_categories=("Cs",)),
                          max_size=6))


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.lists(_CELL, max_size=6), min_size=1, max_size=30),
       crlf=st.booleans(), final_newline=st.booleans(), block=st.integers(min_value=4, max_value=64),
       width=st.one_of(st.none(), st.integers(min_value=1, max_value=5)),
       mapped=st.lists(st.integers(min_value=0, max_value=6), max_size=3, unique=True))
def test_a_plain_file_stages_into_the_tables_the_csv_module_path_stages(rows, crlf, final_newline, block, width,
                                                                         mapped):
    end = "\r\n" if crlf else "\n"
    text = end.join(",".join(cells) for cells in rows) + end * final_newline
    by_column = dict(zip(DATA, mapped))
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp) / "f.csv", text)
        assert is_plain(path, "utf-8", True)
        expected = _staged(iter(list(read_delimited(_text(path), path.name, ","))), width, by_column)
        old, lines.BLOCK_CHARS = lines.BLOCK_CHARS, block
        try:
            plain = PlainLines(path, "utf-8", ",")
            assert list(plain) == list(read_delimited(_text(path), path.name, ","))
            assert _staged(PlainLines(path, "utf-8", ","), width, by_column) == expected
        finally:
            lines.BLOCK_CHARS = old
