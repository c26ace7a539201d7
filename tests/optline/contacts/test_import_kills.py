"""kill -9 of the real `optline import` at each step, then a re-run (issue 11, "Crashes").

Each case runs `optline import` as its own process on a real DuckDB file, with
OPTLINE_CRASH_AT naming a crash point (`optline.failpoints`): the process SIGKILLs itself
there (return code -9), exactly as `kill -9` would, but at a known line. The same command is
then run again, unarmed. The warehouse must end identical to an uninterrupted run's (every
table, ignoring only wall-clock times, run ids and absolute paths), every batch's review
report must show its committed status, and rejects.csv must list its rejected rows.

Two inputs: one the gate passes (it merges, matching contacts an earlier file made) and one
it holds for review (too many rejects under the real gate). The brand-new warehouse cases
kill the first import ever, before and after the schema is made.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from optline import warehouse
from tests.helpers import OPEN_GATE, write_csv

pytestmark = pytest.mark.slow

OPTLINE = Path(sys.executable).with_name("optline")
AS_OF = "2026-11-01T12:00:00+00:00"
HEADER = ["phone", "first_name", "last_name", "dob", "opt_in"]
# Columns whose values legitimately differ between two runs of the same import.
WALL_CLOCK = re.compile(r"(_at|_time|^run_id|^generated|^run_name|^run_time|^file_stat)$")  # file_stat: inode, ctime


def rows_of_the_list() -> list[list[str]]:
    """12 distinct people over 12 numbers, duplicates, and 3 rows the rules reject (7 of 19)."""
    rows = [[f"(415) 555-{100 + i % 12:04d}", ["Ann", "Bo", "Cy"][i % 3], "Lee", "1990-01-02", "2026-10-01"]
            for i in range(16)]
    return rows + [["+1 800 555 0199", "Toll", "", "1990-01-02", "2026-10-01"],   # not_mobile
                   ["4155550150", "Kid", "", "2012-01-01", "2026-10-01"],         # under_age
                   ["4.15556E+09", "X", "", "1990-01-02", "2026-10-01"]]          # excel_mangled_number


def write_list(root: Path, outcome: str) -> Path:
    """The import under test: it merges (`outcome="merged"`) or is held for review."""
    gate = OPEN_GATE if outcome == "merged" else {}  # the real gate holds 7/19 rejected (> 10 %)
    return write_csv(root / "inbox" / "list.csv", [HEADER, *rows_of_the_list()], lists=["Main", "Spring"],
                     tags=["promo"], policy_overrides=gate)


def write_base(root: Path) -> Path:
    """An earlier file: some of the list's people are already contacts, on list Main."""
    rows = [[f"415555{100 + i:04d}", ["Ann", "Bo", "Cy"][i % 3], "Lee", "1990-01-02", "2026-09-01"] for i in range(4)]
    return write_csv(root / "inbox" / "base.csv", [HEADER, *rows], lists=["Main"], policy_overrides=OPEN_GATE)


def optline_import(root: Path, file: Path, crash_at: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPTLINE_WAREHOUSE", "OPTLINE_REPORTS", "OPTLINE_INBOX", "OPTLINE_CRASH_AT")}
    env["OPTLINE_DATA_DIR"] = str(root)
    if crash_at:
        env["OPTLINE_CRASH_AT"] = crash_at
    return subprocess.run([str(OPTLINE), "import", "--as-of", AS_OF, str(file)], env=env, capture_output=True,
                          text=True, timeout=300, check=False)


def imported(root: Path, file: Path) -> None:
    done = optline_import(root, file)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def comparable(root: Path) -> dict[str, list[tuple]]:
    """Every table's rows, sorted, without the columns that differ between two runs of the
    same import (wall-clock times, run ids), with the data folder's path replaced by `<root>`."""
    with warehouse.connect(root / "warehouse.duckdb", read_only=True) as conn:
        columns: dict[str, list[str]] = {}
        for table, column in conn.execute("""select c.table_schema || '.' || c.table_name, c.column_name
                from information_schema.columns c join information_schema.tables t
                  on t.table_schema = c.table_schema and t.table_name = c.table_name
                where t.table_type = 'BASE TABLE' and t.table_catalog = current_database()
                order by 1, c.ordinal_position""").fetchall():
            if not WALL_CLOCK.search(column):
                columns.setdefault(table, []).append(column)
        dump = {}
        for table, cols in columns.items():
            listed = ", ".join(f'"{c}"' for c in cols)
            rows = conn.execute(f"select {listed} from {table}").fetchall()
            dump[table] = sorted(tuple(str(v).replace(str(root), "<root>") for v in row) for row in rows)
    return dump


def reports_disagree(root: Path) -> list[str]:
    """What is wrong with the batches' report files: a missing review report, one showing
    another status than the batch's, a missing or short rejects.csv."""
    problems = []
    with warehouse.connect(root / "warehouse.duckdb", read_only=True) as conn:
        batches = conn.execute("select batch_id, status, rows_rejected from ops.batches order by 1").fetchall()
    for batch_id, status, rejected in batches:
        folder = root / "reports" / "batches" / f"{batch_id:06d}"
        if status in ("staged", "checked"):
            problems.append(f"batch {batch_id} stopped at {status}")
            continue
        report = folder / "report.html"
        if not report.exists():
            problems.append(f"batch {batch_id} ({status}): no report.html")
        else:
            shown = re.search(r'id="batch-status">([^<]*)<', report.read_text(encoding="utf-8")).group(1)
            if shown != status.replace("_", " "):
                problems.append(f"batch {batch_id} is {status} but its report says {shown!r}")
        if rejected:
            rejects = folder / "rejects.csv"
            if not rejects.exists():
                problems.append(f"batch {batch_id}: {rejected} rows rejected, no rejects.csv")
            else:
                with rejects.open(encoding="utf-8-sig", newline="") as fh:
                    listed = len(list(csv.reader(fh))) - 1
                if listed != rejected:
                    problems.append(f"batch {batch_id}: rejects.csv lists {listed} of {rejected} rejected rows")
    return problems


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """A warehouse holding the earlier file's batch, copied for each case."""
    root = tmp_path_factory.mktemp("base")
    imported(root, write_base(root))
    return root


@pytest.fixture(scope="module")
def uninterrupted(base, tmp_path_factory) -> dict[str, dict]:
    """The warehouse after an uninterrupted import of the list, per outcome (and from nothing)."""
    out = {}
    for outcome in ("merged", "awaiting_review"):
        root = tmp_path_factory.mktemp(f"ref_{outcome}")
        shutil.copytree(base, root, dirs_exist_ok=True)
        imported(root, write_list(root, outcome))
        out[outcome] = comparable(root)
    fresh = tmp_path_factory.mktemp("ref_new")
    imported(fresh, write_list(fresh, "merged"))
    out["new"] = comparable(fresh)
    return out


def killed_then_rerun(root: Path, file: Path, point: str) -> None:
    killed = optline_import(root, file, crash_at=point)
    assert killed.returncode == -9, f"not killed at {point}: rc {killed.returncode}\n{killed.stderr[-2000:]}"
    again = optline_import(root, file)
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]


def assert_same_tables(got: dict, want: dict) -> None:
    assert got.keys() == want.keys()
    differ = [t for t in want if got[t] != want[t]]
    assert not differ, "tables differ from an uninterrupted run: " + "; ".join(
        f"{t}: {len(got[t])} rows vs {len(want[t])}, e.g. {sorted(set(got[t]) ^ set(want[t]))[:2]}" for t in differ)


MERGED_POINTS = ["during_stage", "after_stage_commit", "during_normalize", "after_check_commit", "during_validate",
                 "after_validate_commit", "during_merge", "after_merge_commit"]
HELD_POINTS = ["after_validate_commit"]


@pytest.mark.parametrize("point", MERGED_POINTS)
def test_a_kill_at_each_step_of_a_merging_import_is_repaired_by_the_rerun(point, base, uninterrupted, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(base, root)
    killed_then_rerun(root, write_list(root, "merged"), point)
    assert_same_tables(comparable(root), uninterrupted["merged"])
    assert reports_disagree(root) == []


@pytest.mark.parametrize("point", HELD_POINTS)
def test_a_kill_of_an_import_the_gate_holds_leaves_it_held_with_its_report(point, base, uninterrupted, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(base, root)
    killed_then_rerun(root, write_list(root, "awaiting_review"), point)
    assert_same_tables(comparable(root), uninterrupted["awaiting_review"])
    assert reports_disagree(root) == []


@pytest.mark.parametrize("point", ["before_migrate", "during_stage"])
def test_a_kill_during_the_first_import_into_a_new_warehouse_is_repaired_by_the_rerun(point, uninterrupted, tmp_path):
    root = tmp_path / "data"
    file = write_list(root, "merged")
    killed_then_rerun(root, file, point)
    assert_same_tables(comparable(root), uninterrupted["new"])
    assert reports_disagree(root) == []


def test_an_unknown_crash_point_is_refused_before_anything_is_imported(tmp_path):
    root = tmp_path / "data"
    done = optline_import(root, write_list(root, "merged"), crash_at="after_lunch")
    assert done.returncode != 0 and done.returncode != -9
    assert "OPTLINE_CRASH_AT='after_lunch' is no crash point" in done.stderr


def summary_after_kill(root: Path, point: str, monkeypatch, **env: str):
    """The inbox file's summary line (as contact_import's summarize and `optline summary` give
    it) after an import killed at `point`."""
    from optline import warehouse
    from optline.contacts import pipeline

    file = write_list(root, "merged")
    assert optline_import(root, file, crash_at=point).returncode == -9
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    conn = warehouse.connect(root / "warehouse.duckdb")
    try:
        return pipeline.file_summary(conn, file, None, root / "reports")
    finally:
        conn.close()


def test_the_summary_of_a_batch_merged_by_a_killed_import_says_the_next_run_finishes_it(tmp_path, monkeypatch):
    summary = summary_after_kill(tmp_path / "data", "after_merge_commit", monkeypatch)
    assert summary.status == "merged"
    assert summary.error and "interrupted before its report was written; the next run finishes it" in summary.error


def test_the_summary_never_promises_a_resume_that_cannot_happen(tmp_path, monkeypatch):
    # staged, then its policy is gone: no run can load the batch, so none resumes it
    summary = summary_after_kill(tmp_path / "data", "after_stage_commit", monkeypatch,
                                 OPTLINE_POLICY_DIR=str(tmp_path / "no-policies"))
    assert summary.status == "staged"
    assert "no run can resume it until that is fixed" in summary.error
    assert "the next run resumes it" not in summary.error
