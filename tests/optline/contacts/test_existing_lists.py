"""`create_lists: false`: a file goes only into lists that exist, so a typo in a list name fails the
file (naming the manifest key, the unknown name and the closest existing ones) before anything is
written, instead of creating a new list. Through `optline import` and a touch-up file."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from optline import warehouse
from optline.cli import main
from optline.contacts.listops import apply_file
from optline.intake.manifest import ManifestError
from optline.runs import RunContext
from tests.helpers import warehouse_snapshot, write_csv

AS_OF = "2026-11-01T12:00:00+00:00"
ROWS = [["phone", "first_name", "dob", "opt_in"], ["(415) 555-0101", "Ann", "1990-01-01", "2026-10-01"]]


def _import(data_dir: Path, name: str, rows: list[list[str]], **manifest) -> int:
    path = write_csv(data_dir / "inbox" / name, rows, **manifest)
    return main(["import", str(path), "--as-of", AS_OF])


def _lists(data_dir: Path) -> list[tuple]:
    with warehouse.connect(data_dir / "warehouse.duckdb", read_only=True) as conn:
        return conn.execute("select list_id, name from core.lists order by list_id").fetchall()


@pytest.fixture
def spring(data_dir: Path, capsys) -> Path:
    """A warehouse with the lists 'Spring Promo' and 'Summer Sale' (made by ordinary imports)."""
    assert _import(data_dir, "first.csv", ROWS, lists=["Spring Promo", "Summer Sale"]) == 0
    capsys.readouterr()
    return data_dir


def test_an_unknown_list_name_fails_the_file_naming_key_name_and_closest_lists_and_writes_nothing(spring, capsys):
    with warehouse.connect(spring / "warehouse.duckdb", read_only=True) as conn:
        before = warehouse_snapshot(conn)
    rows = [ROWS[0], ["(415) 555-0102", "Bo", "1990-01-01", "2026-10-02"]]
    assert _import(spring, "typo.csv", rows, lists=["Sprng Promo"], create_lists=False) == 1
    said = capsys.readouterr().out
    assert "typo.csv: `create_lists: false` in typo.manifest.yaml" in said
    assert "'Sprng Promo' (closest: 'Spring Promo')" in said
    assert "correct the name, or set `create_lists: true`" in said
    # a name like none of them: said so, with the lists there are
    assert _import(spring, "other.csv", rows, lists=["Spring Promo", "Loyalty"], create_lists=False) == 1
    said = capsys.readouterr().out
    assert "'Loyalty' (no list has a similar name)" in said and "'Spring Promo' (" not in said
    assert "the lists are 'Spring Promo', 'Summer Sale'" in said
    with warehouse.connect(spring / "warehouse.duckdb", read_only=True) as conn:
        assert warehouse_snapshot(conn) == before  # neither staged: no batch, no list, no row


def test_existing_names_in_any_case_import_into_those_lists_and_without_the_key_a_new_name_is_created(spring, capsys):
    rows = [ROWS[0], ["(415) 555-0102", "Bo", "1990-01-01", "2026-10-02"]]
    assert _import(spring, "ok.csv", rows, lists=[" spring promo "], create_lists=False) == 0
    assert "merged" in capsys.readouterr().out
    assert [name for _, name in _lists(spring)] == ["Spring Promo", "Summer Sale"]
    with warehouse.connect(spring / "warehouse.duckdb", read_only=True) as conn:
        bo = conn.execute("""select l.name from core.memberships m join core.lists l using (list_id)
            join core.contacts c using (contact_id) where c.first_name = 'Bo'""").fetchall()
    assert bo == [("Spring Promo",)]
    assert _import(spring, "new.csv", ROWS, lists=["Autumn"]) == 0  # today's behaviour, the default
    assert [name for _, name in _lists(spring)] == ["Spring Promo", "Summer Sale", "Autumn"]


def test_a_touch_up_naming_an_unknown_list_fails_whole_and_applies_nothing(spring, tmp_path):
    path = tmp_path / "fixes.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows([
            ["action", "phone", "list"], ["add_member", "(415) 555-0101", "Summer Sale"],
            ["Remove Member", "(415) 555-0101", "Sumer Sale"]])
    (tmp_path / "fixes.manifest.yaml").write_text("create_lists: false\n", encoding="utf-8")
    conn = warehouse.connect(spring / "warehouse.duckdb")
    try:
        before = warehouse_snapshot(conn)
        with pytest.raises(ManifestError) as info:
            apply_file(conn, path, RunContext(as_of=dt.datetime.fromisoformat(AS_OF)))
        assert "fixes.csv: `create_lists: false` in fixes.manifest.yaml" in str(info.value)
        assert "'Sumer Sale' (closest: 'Summer Sale')" in str(info.value)
        assert "the `list` column of add_member and remove_member rows" in str(info.value)
        assert warehouse_snapshot(conn) == before
    finally:
        conn.close()
