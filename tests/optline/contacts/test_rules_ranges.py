"""The row rules run over a batch a range of row numbers at a time (each range its own
commit): the verdicts are the same as in one range, duplicates across ranges included, and a
batch whose check stopped part-way is finished by the next check."""

from __future__ import annotations

import datetime as dt

from optline.contacts import rules
from optline.contacts.batch import load_batch
from optline.contacts.staging import stage_file
from optline.intake.manifest import parse_manifest
from optline.runs import RunContext
from tests.helpers import write_csv

AS_OF = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
HEADER = ["phone", "first_name", "last_name", "dob", "opt_in_date"]
# Rows 11-14 repeat rows 1-4 (number and name), ranges of 3 rows apart; rejected rows between.
ROWS = [[f"(415) 555-{100 + i % 5:04d}", ["Ann", "Bo"][i % 2], "Lee", "1990-01-02", "2026-10-01"] for i in range(14)]
ROWS[4][0] = "hello"
ROWS[7][3] = "2015-01-01"
ROWS[9] = ["", "", "", "", ""]


def _outcomes(conn, batch_id: int) -> list[tuple]:
    return conn.execute("select * exclude (batch_id) from staging.row_outcomes where batch_id = ? "
                        "order by row_number", [batch_id]).fetchall()


def _batch_counts(conn, batch_id: int) -> tuple:
    return conn.execute("select status, rows_loaded, rows_rejected, rows_warned, duplicates_removed "
                        "from ops.batches where batch_id = ?", [batch_id]).fetchone()


def _check(conn, folder, name: str) -> int:
    path = write_csv(folder / f"{name}.csv", [HEADER, *ROWS], lists=["Rules"])
    staged = stage_file(conn, path, parse_manifest({"lists": ["Rules"], "tags": [name]}), RunContext(as_of=AS_OF))
    rules.check_batch(conn, load_batch(conn, staged.batch_id))
    return staged.batch_id


def test_a_check_in_ranges_of_rows_gives_the_verdicts_of_a_check_in_one_range(conn, tmp_path, monkeypatch):
    whole = _check(conn, tmp_path, "whole")
    monkeypatch.setattr(rules, "CHECK_RANGE_ROWS", 3)
    ranged = _check(conn, tmp_path, "ranged")
    assert _outcomes(conn, ranged) == _outcomes(conn, whole)
    assert _batch_counts(conn, ranged) == _batch_counts(conn, whole)
    reasons = [o[2] for o in _outcomes(conn, ranged)]
    assert reasons.count("duplicate_in_file") == 4 and "invalid_number" in reasons  # the file does test something


def test_a_check_stopped_after_some_ranges_is_finished_by_the_next_check(conn, tmp_path, monkeypatch):
    monkeypatch.setattr(rules, "CHECK_RANGE_ROWS", 3)
    done = _check(conn, tmp_path, "done")
    want = _outcomes(conn, done), _batch_counts(conn, done)
    # the state a kill after the second range's commit leaves: rows 1-6 checked, the batch still staged
    conn.execute("delete from staging.row_outcomes where batch_id = ? and row_number > 6", [done])
    conn.execute("update ops.batches set status = 'staged', rows_loaded = null, rows_rejected = null, "
                 "rows_warned = null, duplicates_removed = null where batch_id = ?", [done])
    result = rules.check_batch(conn, load_batch(conn, done))
    assert (_outcomes(conn, done), _batch_counts(conn, done)) == want
    assert result.rows_loaded + result.rows_rejected == len(ROWS)
