"""An XLSX is refused, with a MalformedFileError naming the file, the limit and the policy key to
raise it, when its parts declare more uncompressed bytes than `file_limits.max_uncompressed_mb`
(checked on the zip's directory before anything is parsed) or a sheet holds more rows than
`file_limits.max_rows_per_sheet` (counted while reading). The contact stage takes the limits
from the manifest's policy and leaves the warehouse untouched."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from optline.contacts import pipeline
from optline.contacts.policy import FILE_LIMITS, load_policy
from optline.intake.readers import FileLimits, MalformedFileError, open_records
from optline.runs import RunContext
from tests.conftest import AS_OF
from tests.helpers import warehouse_snapshot, write_manifest
from tests.optline.intake.hostile_xlsx import big_shared_strings_xlsx, many_rows_xlsx

RUN = RunContext(as_of=AS_OF, dag_id="test", run_id="r1")


def test_an_xlsx_declaring_more_uncompressed_bytes_than_the_limit_is_refused_before_any_row_is_read(
        tmp_path: Path) -> None:
    path = big_shared_strings_xlsx(tmp_path / "strings.xlsx", megabytes=3)
    assert path.stat().st_size < 100_000  # small on disk, 3 MB inside
    with pytest.raises(MalformedFileError) as info:
        open_records(path, "xlsx", limits=FileLimits(max_uncompressed_mb=2))  # raises before a row is asked for
    message = str(info.value)
    assert message.startswith("strings.xlsx: ")
    assert "xl/sharedStrings.xml" in message and "2 MB" in message
    assert "file_limits.max_uncompressed_mb" in message


def test_an_xlsx_within_the_uncompressed_limit_is_read(tmp_path: Path) -> None:
    path = big_shared_strings_xlsx(tmp_path / "strings.xlsx", megabytes=1)
    records, _ = open_records(path, "xlsx", limits=FileLimits(max_uncompressed_mb=2))
    assert [cells for _, cells in records] == [["phone", "first_name"], ["4155550101", "Ann"], ["4155550102", "Ann"]]


def test_shared_strings_over_their_limit_are_refused_before_any_row_is_read(tmp_path: Path) -> None:
    path = big_shared_strings_xlsx(tmp_path / "strings.xlsx", megabytes=3)
    with pytest.raises(MalformedFileError) as info:
        open_records(path, "xlsx", limits=FileLimits(max_shared_strings_mb=2))
    message = str(info.value)
    assert message.startswith("strings.xlsx: ") and "xl/sharedStrings.xml" in message and "2 MB" in message
    assert "file_limits.max_shared_strings_mb" in message


def test_a_big_sheet_does_not_count_against_the_shared_strings_limit(tmp_path: Path) -> None:
    path = many_rows_xlsx(tmp_path / "rows.xlsx", rows=40_000)  # ~1.5 MB of sheet XML: streamed, not held
    records, _ = open_records(path, "xlsx", limits=FileLimits(max_shared_strings_mb=1))
    assert sum(1 for _ in records) == 40_001


def test_the_parts_of_an_xlsx_count_together_against_the_limit(tmp_path: Path) -> None:
    path = many_rows_xlsx(tmp_path / "rows.xlsx", rows=40_000)  # ~1.5 MB of sheet XML, a little of strings
    with pytest.raises(MalformedFileError, match="uncompressed"):
        open_records(path, "xlsx", limits=FileLimits(max_uncompressed_mb=1))


def test_a_sheet_over_the_row_limit_is_refused_naming_the_sheet_the_row_and_the_policy_key(tmp_path: Path) -> None:
    path = many_rows_xlsx(tmp_path / "rows.xlsx", rows=50)
    records, _ = open_records(path, "xlsx", limits=FileLimits(max_rows_per_sheet=20))
    read = []
    with pytest.raises(MalformedFileError) as info:
        for number, _cells in records:
            read.append(number)
    assert read == list(range(1, 21))  # refused at row 21, having held no more than the limit
    message = str(info.value)
    assert message.startswith("rows.xlsx, line 21: ") and "'Contacts'" in message and "20" in message
    assert "file_limits.max_rows_per_sheet" in message


def test_a_sheet_at_the_row_limit_is_read_whole(tmp_path: Path) -> None:
    path = many_rows_xlsx(tmp_path / "rows.xlsx", rows=19)
    records, _ = open_records(path, "xlsx", limits=FileLimits(max_rows_per_sheet=20))
    assert len(list(records)) == 20


def test_the_policy_gives_the_default_file_limits() -> None:
    assert FILE_LIMITS == {"max_uncompressed_mb": 1024, "max_shared_strings_mb": 64, "max_rows_per_sheet": 1_048_576}
    assert FILE_LIMITS == {key: getattr(FileLimits(), key) for key in FILE_LIMITS}
    assert load_policy("default").file_limits == FILE_LIMITS


@pytest.mark.parametrize(("make", "limits", "key"), [
    (lambda p: big_shared_strings_xlsx(p, megabytes=3), {"max_uncompressed_mb": 2}, "file_limits.max_uncompressed_mb"),
    (lambda p: big_shared_strings_xlsx(p, megabytes=3), {"max_shared_strings_mb": 2},
     "file_limits.max_shared_strings_mb"),
    (lambda p: many_rows_xlsx(p, rows=30), {"max_rows_per_sheet": 10}, "file_limits.max_rows_per_sheet"),
], ids=["uncompressed", "shared strings", "rows"])
def test_the_contact_stage_applies_the_policys_file_limits_and_leaves_the_warehouse_untouched(
        conn, data_dir: Path, make, limits: dict, key: str) -> None:
    path = make(data_dir / "inbox" / "book.xlsx")
    write_manifest(path, policy_overrides={"file_limits": limits})
    before = warehouse_snapshot(conn)
    with pytest.raises(MalformedFileError, match=key.replace(".", r"\.")):
        pipeline.stage(conn, path, RUN)
    assert warehouse_snapshot(conn) == before


def test_a_refused_xlsx_never_inflates_its_shared_strings(tmp_path: Path) -> None:
    """Peak memory of a process reading a 2 MB XLSX whose shared strings are 300 MB: the refusal
    comes from the zip's directory, so the process stays near its start-up size."""
    path = big_shared_strings_xlsx(tmp_path / "strings.xlsx", megabytes=300, compresslevel=1)
    assert path.stat().st_size < 5 * 2**20
    code = textwrap.dedent(f"""
        from pathlib import Path
        from optline.intake.readers import FileLimits, MalformedFileError, open_records
        try:
            open_records(Path({str(path)!r}), "xlsx", limits=FileLimits())  # the defaults
        except MalformedFileError as exc:
            print("refused", exc)
        # VmHWM: this process's own peak (ru_maxrss would carry the forking pytest's over exec)
        hwm = [line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmHWM")]
        print("peak_kib", hwm[0].split()[1])
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "refused strings.xlsx" in out, out
    assert int(out.split("peak_kib")[-1]) < 200 * 1024, out  # start-up + openpyxl's import: ~100 MiB
