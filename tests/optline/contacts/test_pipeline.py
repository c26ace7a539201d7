"""Whole-file imports: nothing lost, nothing imported twice, bad files change nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from optline import samples
from optline.contacts import pipeline
from optline.intake.discovery import discover
from optline.runs import RunContext
from tests.helpers import warehouse_snapshot, write_csv

AS_OF = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
RUN = RunContext(as_of=AS_OF, dag_id="test", run_id="r1")


def import_inbox(conn, inbox: Path, reports: Path):
    return [pipeline.import_file(conn, f.path, RUN, reports) for f in discover(inbox)]


def test_every_line_read_of_every_sample_is_loaded_or_rejected(conn, data_dir):
    samples.write_samples(data_dir / "inbox", as_of=AS_OF.date())
    summaries = import_inbox(conn, data_dir / "inbox", data_dir / "reports")
    assert [s.status for s in summaries] == ["rejected", "merged", "awaiting_review"]  # the gate's three ends
    for s in summaries:
        assert s.lines_read == s.rows_loaded + s.rows_rejected
        assert s.rows_rejected == sum(s.rejected_by_reason.values())
    physical = conn.execute("select batch_id, count(*) from staging.contact_rows group by 1 order by 1").fetchall()
    assert [n for _, n in physical] == [s.lines_read for s in summaries]


def test_reimporting_the_same_files_leaves_the_warehouse_identical(conn, data_dir):
    samples.write_samples(data_dir / "inbox", as_of=AS_OF.date())
    import_inbox(conn, data_dir / "inbox", data_dir / "reports")
    before = warehouse_snapshot(conn)
    again = import_inbox(conn, data_dir / "inbox", data_dir / "reports")
    assert [s.status for s in again] == ["rejected", "already imported", "awaiting_review"]
    assert warehouse_snapshot(conn) == before


def test_the_same_file_dropped_under_another_name_is_not_imported_twice(conn, data_dir):
    inbox = data_dir / "inbox"
    first = write_csv(inbox / "a.csv", [["phone", "dob", "opt_in"], ["(415) 555-0101", "1990-01-01", "2026-10-01"]])
    pipeline.import_file(conn, first, RUN, data_dir / "reports")
    before = warehouse_snapshot(conn)
    copy = write_csv(inbox / "copy_of_a.csv",
                     [["phone", "dob", "opt_in"], ["(415) 555-0101", "1990-01-01", "2026-10-01"]])
    assert pipeline.import_file(conn, copy, RUN, data_dir / "reports").status == "already imported"
    assert warehouse_snapshot(conn) == before


def test_a_malformed_file_fails_whole_naming_file_and_line_and_changes_nothing(conn, data_dir):
    inbox = data_dir / "inbox"
    good = write_csv(inbox / "good.csv", [["phone", "dob", "opt_in"], ["(415) 555-0101", "1990-01-01", "2026-10-01"]])
    pipeline.import_file(conn, good, RUN, data_dir / "reports")
    before = warehouse_snapshot(conn)
    bad = inbox / "bad.csv"
    bad.write_text('phone,first_name\n(415) 555-0102,Ann\n(415) 555-0103,"Bo\n', encoding="utf-8")
    (inbox / "bad.manifest.yaml").write_text("lists: [Main]\n", encoding="utf-8")
    summary = pipeline.import_file(conn, bad, RUN, data_dir / "reports")
    assert summary.status == "failed"
    assert "bad.csv, line 3" in summary.error and "nothing from this file was loaded" in summary.error.lower()
    assert warehouse_snapshot(conn) == before


def test_a_batch_interrupted_after_staging_resumes_on_the_next_run(conn, data_dir):
    inbox = data_dir / "inbox"
    path = write_csv(inbox / "a.csv", [["phone", "first_name", "dob", "opt_in"],
                                       ["(415) 555-0101", "Ann", "1990-01-01", "2026-10-01"]])
    staged = pipeline.stage(conn, path, RUN)  # the run dies here
    summary = pipeline.import_file(conn, path, RUN, data_dir / "reports")
    assert (summary.batch_id, summary.status, summary.new_contacts) == (staged.batch_id, "merged", 1)
    assert conn.execute("select count(*) from ops.batches").fetchone()[0] == 1


def test_a_file_without_manifest_fails_with_what_to_add(conn, data_dir):
    path = data_dir / "inbox" / "orphan.csv"
    path.write_text("phone\n(415) 555-0101\n", encoding="utf-8")
    summary = pipeline.import_file(conn, path, RUN, data_dir / "reports")
    assert summary.status == "failed"
    assert "orphan.manifest.yaml" in summary.error and "lists:" in summary.error
