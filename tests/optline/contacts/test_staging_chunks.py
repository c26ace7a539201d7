"""Staging commits a chunk at a time and still keeps its promises: a file that fails to read
leaves no trace, and a staging killed part-way is staged again from scratch by the next run."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from optline import warehouse
from optline.contacts import staging
from optline.intake.manifest import load_manifest
from optline.intake.readers import MalformedFileError
from optline.runs import RunContext
from tests.helpers import write_csv, write_manifest

AS_OF = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
ROWS = [["Phone", "Name"]] + [[f"41555501{i:02d}", f"Name{i}"] for i in range(1, 8)]
# What differs between two stagings of the same file: wall-clock times and the run.
CLOCK_COLUMNS = ("staged_at", "checked_at", "merged_at", "run_id", "dag_id", "clock_real_time")

STAGE = """
import datetime as dt, sys
from pathlib import Path
from optline import warehouse
from optline.contacts import staging
from optline.intake.manifest import load_manifest
from optline.runs import RunContext
staging.CHUNK_ROWS = 2
path = Path(sys.argv[2])
conn = warehouse.connect(sys.argv[1])
staging.stage_file(conn, path, load_manifest(path), RunContext(as_of=dt.datetime.fromisoformat(sys.argv[3])))
"""


def _stage_in_a_process(db: Path, path: Path, crash_at: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "OPTLINE_CRASH_AT"}
    if crash_at:
        env["OPTLINE_CRASH_AT"] = crash_at
    return subprocess.run([sys.executable, "-c", STAGE, str(db), str(path), AS_OF.isoformat()], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def _state(db: Path) -> dict[str, list[tuple]]:
    conn = warehouse.connect(db, read_only=True)
    try:
        cur = conn.execute("select * from ops.batches order by batch_id")
        keep = [i for i, d in enumerate(cur.description) if d[0] not in CLOCK_COLUMNS]
        batches = [tuple(r[i] for i in keep) for r in cur.fetchall()]
        rows = conn.execute("select * from staging.contact_rows order by batch_id, row_number").fetchall()
    finally:
        conn.close()
    return {"batches": batches, "rows": rows}


def _counts(conn) -> dict[str, int]:
    return {t: conn.execute(f"select count(*) from {t}").fetchone()[0]
            for t in ("ops.batches", "staging.contact_rows")}


def test_a_malformed_row_in_the_second_chunk_leaves_no_batch_and_no_staged_rows(
        conn, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(staging, "CHUNK_ROWS", 2)
    lines = ["Phone,Name", "4155550101,Ann", "4155550102,Bo", "4155550103,Cy", '4155550104,"Broken', "4155550105,Z"]
    path = tmp_path / "second_chunk.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    write_manifest(path)
    with pytest.raises(MalformedFileError) as info:
        staging.stage_file(conn, path, load_manifest(path), RunContext(as_of=AS_OF))
    assert info.value.line == 5
    assert _counts(conn) == {"ops.batches": 0, "staging.contact_rows": 0}


def test_a_staging_killed_after_its_first_chunk_is_left_incomplete_and_restaged_whole(tmp_path) -> None:
    clean, killed = tmp_path / "clean.duckdb", tmp_path / "killed.duckdb"
    path = write_csv(tmp_path / "seven.csv", ROWS)
    assert _stage_in_a_process(clean, path).returncode == 0
    died = _stage_in_a_process(killed, path, crash_at="during_stage")
    assert died.returncode == -9, died.stderr[-2000:]
    partial = _state(killed)
    # the first chunk was committed: a batch the next run sees as incomplete
    assert [(b[0], b[list_status(killed)]) for b in partial["batches"]] == [(1, "staging")]
    assert len(partial["rows"]) == 2
    again = _stage_in_a_process(killed, path)
    assert again.returncode == 0, again.stderr[-2000:]
    assert _state(killed) == _state(clean)
    assert _state(clean)["batches"][0][list_status(clean)] == "staged"
    assert len(_state(clean)["rows"]) == 7


def list_status(db: Path) -> int:
    """The index of `status` among the compared columns of ops.batches."""
    conn = warehouse.connect(db, read_only=True)
    try:
        names = [d[0] for d in conn.execute("select * from ops.batches limit 0").description]
    finally:
        conn.close()
    return [n for n in names if n not in CLOCK_COLUMNS].index("status")


def test_a_staging_batch_found_by_the_next_run_is_not_taken_as_imported(conn, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(staging, "CHUNK_ROWS", 2)
    path = write_csv(tmp_path / "seven.csv", ROWS)
    first = staging.stage_file(conn, path, load_manifest(path), RunContext(as_of=AS_OF))
    # the state a kill after the first chunk's commit leaves
    conn.execute("update ops.batches set status = 'staging', lines_read = 0 where batch_id = ?", [first.batch_id])
    conn.execute("delete from staging.contact_rows where batch_id = ? and row_number > 2", [first.batch_id])
    again = staging.stage_file(conn, path, load_manifest(path), RunContext(as_of=AS_OF))
    assert (again.batch_id, again.status, again.already_imported, again.lines_read) == (first.batch_id, "staged",
                                                                                          False, 7)
    assert _counts(conn) == {"ops.batches": 1, "staging.contact_rows": 7}
