"""`optline inspect FILE`: what an import would do, from the import's own staging and row rules
run in a throwaway in-memory warehouse; the real warehouse and the reports are never written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from optline import warehouse
from optline.cli import main
from tests.helpers import write_csv

AS_OF = "2026-11-01T12:00:00+00:00"
HEADER = ["Handy", "First Name", "Opt-in Date", "Age"]
ROWS = [
    ["(415) 555-0101", "Ann", "2026-10-01", "30"],    # accepted
    ["(415) 555-0101", "Ann", "2026-10-02", "30"],    # duplicate_in_file
    ["12", "Bob", "2026-10-01", "30"],                # invalid_number
    ["", "", "", ""],                                 # blank_row
    ["415.555.0102", "Cy", "", "40"],                 # missing_opt_in
    ["+1 415 555 0103", "Di", "2026-10-03", "16"],    # under_age
    ["4155550104", "Zoë", "2026-10-04", "50"],        # accepted (cp1252: not UTF-8)
]
FULL_NUMBERS = ("5550101", "555-0101", "555 0103", "5550104", "4155550102", "555.0102")


def _file(data_dir: Path, name: str = "walkins.csv", **manifest) -> Path:
    manifest.setdefault("columns", {"phone": "Handy"})
    return write_csv(data_dir / "inbox" / name, [HEADER, *ROWS], delimiter=";", encoding="cp1252", **manifest)


def _files_under(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*")}


def test_inspect_counts_what_the_import_then_counts_and_writes_nothing(data_dir, capsys):
    path = _file(data_dir)
    before = _files_under(data_dir)
    assert main(["inspect", str(path), "--format", "json", "--as-of", AS_OF]) == 0
    found = json.loads(capsys.readouterr().out)
    assert _files_under(data_dir) == before  # no warehouse, no report, nothing else
    assert not (data_dir / "warehouse.duckdb").exists()
    assert (found["lines_read"], found["rows_accepted"], found["rows_rejected"]) == (7, 2, 5)
    assert found["rejected_by_reason"] == {"blank_row": 1, "duplicate_in_file": 1, "invalid_number": 1,
                                           "missing_opt_in": 1, "under_age": 1}

    assert main(["import", str(path), "--as-of", AS_OF]) == 0
    capsys.readouterr()
    with warehouse.connect(data_dir / "warehouse.duckdb", read_only=True) as conn:
        batch = conn.execute("select batch_id, lines_read, rows_loaded, rows_rejected, encoding, delimiter, "
                             "has_header from ops.batches").fetchall()
        reasons = dict(conn.execute("select reason_code, count(*) from staging.row_outcomes where not accepted "
                                    "group by reason_code").fetchall())
    (_, lines, loaded, rejected, encoding, delimiter, has_header), = batch
    assert (lines, loaded, rejected) == (found["lines_read"], found["rows_accepted"], found["rows_rejected"])
    assert reasons == found["rejected_by_reason"]
    read = found["read"]
    assert (encoding, delimiter, has_header) == (read["encoding"], read["delimiter"], read["has_header"])


def test_inspect_shows_how_the_file_is_read_and_which_column_is_which(data_dir, capsys):
    path = _file(data_dir)
    assert main(["inspect", str(path), "--as-of", AS_OF]) == 0
    out = capsys.readouterr().out
    assert "read as     csv, encoding cp1252, delimiter ';'" in out
    assert "header      Handy, First Name, Opt-in Date, Age" in out
    assert "manifest    walkins.manifest.yaml" in out and "lists Test List" in out
    assert "phone <- 1 'Handy'; first_name <- 2 'First Name'; opted_in_at <- 3 'Opt-in Date'; age <- 4 'Age'" in out
    assert "rows read   7: 2 accepted, 5 rejected" in out
    assert "duplicate_in_file 1" in out and "under_age 1" in out


def test_inspect_masks_the_first_rows_and_never_shows_a_full_number(data_dir, capsys):
    path = _file(data_dir)
    assert main(["inspect", str(path), "--as-of", AS_OF, "--rows", "7"]) == 0
    out = capsys.readouterr().out
    table = out[out.index("first 7 row(s), masked:"):].splitlines()
    assert table[1].split() == ["line", "verdict", "warnings", "phone", "first_name", "opted_in_at", "age"]
    assert table[2].split() == ["2", "accepted", "(•••)", "•••-••01", "A••", "2026-10-01", "••"]
    assert table[3].split()[:2] == ["3", "duplicate_in_file"]
    for number in FULL_NUMBERS:
        assert number not in out
    assert "Ann" not in out and "Bob" not in out


def test_inspect_reads_with_the_manifest_given(data_dir, capsys):
    path = _file(data_dir)
    other = data_dir / "draft.manifest.yaml"
    other.write_text("lists: [Draft]\ncolumns: {phone: 1}\npolicy_overrides: {require_opt_in: false}\n",
                     encoding="utf-8")
    assert main(["inspect", str(path), "--manifest", str(other), "--format", "json", "--as-of", AS_OF]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["lists"] == ["Draft"] and found["manifest_path"] == str(other)
    assert "missing_opt_in" not in found["rejected_by_reason"] and found["rows_accepted"] == 3


def test_inspect_of_a_file_without_a_manifest_guesses_and_says_how_to_write_one(data_dir, capsys):
    path = data_dir / "inbox" / "bare.csv"
    path.write_text("Mobile,Given Name,Notes\n(415) 555-0101,Ann,x\n", encoding="utf-8")
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "the import refuses this file until it has one; `optline import bare.csv --list NAME`" in out
    assert "phone <- 1 'Mobile'; first_name <- 2 'Given Name'" in out
    assert "kept as extra (no field): Notes" in out


def test_inspect_of_a_malformed_file_gives_the_import_error_and_exit_1(data_dir, capsys):
    path = write_csv(data_dir / "inbox" / "broken.csv", [["phone"], ["(415) 555-0101"]])
    with path.open("a", encoding="utf-8") as fh:
        fh.write('"(415) 555-0102\n')  # an unterminated quote on line 3
    assert main(["inspect", str(path)]) == 1
    inspected = capsys.readouterr().err
    assert "broken.csv, line 3: not valid CSV" in inspected
    assert main(["import", str(path)]) == 1
    assert inspected.removeprefix("optline: ").strip() in capsys.readouterr().out  # the import's own words


def test_verbose_after_the_subcommand_logs_the_steps_of_a_real_process(data_dir):
    path = _file(data_dir)
    done = subprocess.run([str(Path(sys.executable).with_name("optline")), "inspect", str(path), "-v", "--as-of",
                           AS_OF], capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "OPTLINE_DATA_DIR": str(data_dir)})
    assert done.returncode == 0, done.stderr
    assert "INFO optline.contacts.staging: walkins.csv: staged as batch" in done.stderr
    assert "rows read   7" in done.stdout


def test_inspect_of_a_workbook_names_the_sheet_read_and_masks_its_numbers(data_dir, capsys):
    assert main(["samples"]) == 0
    capsys.readouterr()
    assert main(["inspect", str(data_dir / "inbox" / "store_events.xlsx"), "--format", "json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert (found["read"]["file_format"], found["read"]["sheet"], found["read"]["encoding"]) == ("xlsx", "Contacts",
                                                                                               None)
    assert found["columns"][0] == {"field": "phone", "column": 1, "header": "Cell #"}
    assert found["first_rows"] and all(sum(ch.isdigit() for ch in row["phone"]) <= 2 for row in found["first_rows"])
