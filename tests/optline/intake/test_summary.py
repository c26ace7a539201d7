"""What every kind shares to tell how its files stand: tables, outcome counts, report folders, keys."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest

from optline.intake.errors import ReconciliationError
from optline.intake.identity import import_key
from optline.intake.manifest import Manifest
from optline.intake.outcomes import count_outcomes, outcome_sum, reconcile_lines
from optline.intake.report_dirs import report_dir
from optline.intake.summary import format_table, iso_utc, write_run_summary


def test_a_table_pads_each_column_to_its_widest_cell_with_a_rule_under_the_head():
    assert format_table(("file", "read"), [("a.csv", "12"), ("longer.csv", "3")]) == [
        "file        read",
        "----------  ----",
        "a.csv       12",
        "longer.csv  3",
    ]


def test_a_table_can_right_align_its_number_columns():
    assert format_table(("file", "status", "read"), [("a.csv", "ok", "12"), ("b.csv", "failed", "3")],
                        right_from=2) == [
        "file   status  read",
        "-----  ------  ----",
        "a.csv  ok        12",
        "b.csv  failed     3",
    ]


def test_outcomes_are_counted_with_every_outcome_present_and_strays_kept_apart():
    rows = [{"outcome": "applied", "lines": 2}, {"outcome": "applied", "lines": 1}, {"outcome": None, "lines": 4}]
    counts = count_outcomes(rows, ("applied", "ignored"), "lines")
    assert counts == {"applied": 3, "ignored": 0, None: 4}
    assert outcome_sum(counts, ("applied", "ignored")) == "3 applied + 0 ignored"


def test_lines_that_do_not_add_up_fail_naming_the_file_and_the_counts():
    reconcile_lines("a.csv", 3, {"applied": 2, "invalid": 1}, ("applied", "invalid"))
    with pytest.raises(ReconciliationError, match=r"^a.csv: read 4 lines but 2 applied \+ 1 invalid; nothing applied$"):
        reconcile_lines("a.csv", 4, {"applied": 2, "invalid": 1, None: 1}, ("applied", "invalid"))


def test_every_batch_kind_reports_in_its_own_folder_by_batch_id(tmp_path: Path):
    assert report_dir(tmp_path, "optouts", 42) == tmp_path / "optouts" / "000042"


def test_an_import_key_of_a_kind_differs_from_the_contact_lists_key_of_the_same_file():
    manifest = Manifest(lists=("Spring",))
    contacts = import_key("ab" * 32, manifest)
    assert contacts == hashlib.sha256(f"{'ab' * 32}:{manifest.fingerprint()}".encode()).hexdigest()
    assert import_key("ab" * 32, manifest, "optouts") == hashlib.sha256(
        f"optouts:{'ab' * 32}:{manifest.fingerprint()}".encode()).hexdigest() != contacts


@dataclass
class _Summary:
    file_name: str
    lines_read: int

    def as_dict(self) -> dict:
        return asdict(self)


def test_the_run_summary_is_one_json_object_per_file(tmp_path: Path):
    out = write_run_summary([_Summary("a.csv", 3)], tmp_path / "runs" / "r1.json")
    assert json.loads(out.read_text(encoding="utf-8")) == [{"file_name": "a.csv", "lines_read": 3}]


def test_report_times_are_iso_in_utc_and_no_time_is_empty():
    when = dt.datetime(2026, 11, 2, 7, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert (iso_utc(when), iso_utc(None)) == ("2026-11-02T12:30:00+00:00", "")
