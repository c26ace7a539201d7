"""Whole-file imports: nothing lost, nothing imported twice, bad files change nothing."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from optline import samples
from optline.config import PROJECT_DIR
from optline.contacts import pipeline
from optline.intake.discovery import discover
from optline.reports import batches as reports
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


# --- the run's clock and the policy are compliance settings -------------------------------

PERSON = [["phone", "first_name", "dob", "opt_in"], ["(415) 555-0101", "Ann", "2007-01-01", "2026-10-01"]]  # Ann is 19


@pytest.fixture
def policies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shipped policies (as a deployment has them) plus `backdating`, which allows a set
    clock and a lower `min_age`."""
    folder = tmp_path / "policies"
    shutil.copytree(PROJECT_DIR / "expectations" / "policies", folder)
    (folder / "backdating.yaml").write_text(yaml.safe_dump({
        "extends": "default", "allow_clock_override": True, "allow_loosening": ["min_age"]}))
    monkeypatch.setenv("OPTLINE_POLICY_DIR", str(folder))
    return folder


def dag_run_clock(as_of: str = "2026-11-01T12:00:00+00:00", user: str | None = "alice") -> RunContext:
    """The clock the contact_import DAG's tasks get when the run is triggered with `as_of`."""
    from optline.tasks.common import run_context

    return run_context({"params": {"as_of": as_of}, "run_id": "manual__1",
                        "dag": SimpleNamespace(dag_id="contact_import"),
                        "dag_run": SimpleNamespace(triggering_user_name=user, run_after=None)})


def test_a_run_clock_set_by_the_as_of_param_is_refused_under_the_default_policy(conn, data_dir, policies):
    path = write_csv(data_dir / "inbox" / "a.csv", PERSON, policy_overrides={})
    before = warehouse_snapshot(conn)
    summary = pipeline.import_file(conn, path, dag_run_clock(), data_dir / "reports")
    assert summary.status == "failed"
    assert "as_of" in summary.error and "allow_clock_override" in summary.error and "'default'" in summary.error
    assert warehouse_snapshot(conn) == before


def test_a_run_clock_the_policy_allows_is_recorded_with_the_real_time_and_who_set_it(conn, data_dir, policies):
    path = write_csv(data_dir / "inbox" / "a.csv", PERSON, policy="backdating", policy_overrides={})
    started = dt.datetime.now(dt.UTC)
    summary = pipeline.import_file(conn, path, dag_run_clock("2026-11-01T12:00:00"), data_dir / "reports")
    assert summary.status == "merged", summary.error
    as_of, by, real = conn.execute("select as_of, clock_override_by, clock_real_time from ops.batches "
                                   "where batch_id = ?", [summary.batch_id]).fetchone()
    assert as_of == AS_OF and "alice" in by
    assert started <= real <= dt.datetime.now(dt.UTC)
    assert "clock overridden to 2026-11-01 12:00 UTC (real time " in summary.clock_override
    assert "by alice" in summary.clock_override
    assert summary.clock_override in reports.format_summary([summary])


def test_a_run_on_its_own_clock_records_no_override(conn, data_dir, policies):
    path = write_csv(data_dir / "inbox" / "a.csv", PERSON, policy_overrides={})
    summary = pipeline.import_file(conn, path, RUN, data_dir / "reports")
    assert summary.status == "merged" and summary.clock_override is None
    assert conn.execute("select clock_override_by from ops.batches").fetchone()[0] is None


@pytest.mark.parametrize("name", ["../../etc/x", "ABSOLUTE"])
def test_a_manifest_policy_that_is_a_path_is_refused_naming_the_key_before_staging(conn, data_dir, policies,
                                                                                   tmp_path, name):
    outside = tmp_path / "mine.yaml"
    outside.write_text((policies / "default.yaml").read_text().replace("min_age: 18", "min_age: 0"))
    policy = str(outside.with_suffix("")) if name == "ABSOLUTE" else name
    path = write_csv(data_dir / "inbox" / "a.csv", PERSON, policy=policy, policy_overrides={})
    before = warehouse_snapshot(conn)
    summary = pipeline.import_file(conn, path, RUN, data_dir / "reports")
    assert summary.status == "failed"
    assert "a.manifest.yaml" in summary.error and "`policy`" in summary.error and "plain name" in summary.error
    assert warehouse_snapshot(conn) == before


def test_a_loosening_override_is_refused_before_staging_under_the_default_policy(conn, data_dir, policies):
    path = write_csv(data_dir / "inbox" / "a.csv", PERSON, policy_overrides={"min_age": 13})
    before = warehouse_snapshot(conn)
    summary = pipeline.import_file(conn, path, RUN, data_dir / "reports")
    assert summary.status == "failed"
    assert "a.manifest.yaml" in summary.error and "`policy_overrides`" in summary.error
    assert "min_age" in summary.error and "allow_loosening" in summary.error
    assert warehouse_snapshot(conn) == before


def test_a_refused_policy_is_an_input_error_the_dag_does_not_retry(conn, data_dir, policies):
    from optline.intake.errors import INPUT_ERRORS

    path = write_csv(data_dir / "inbox" / "a.csv", PERSON, policy_overrides={"require_opt_in": False})
    with pytest.raises(INPUT_ERRORS):
        pipeline.stage(conn, path, RUN)
    assert conn.execute("select count(*) from ops.batches").fetchone()[0] == 0


def test_a_tightening_override_is_accepted_under_the_default_policy(conn, data_dir, policies):
    path = write_csv(data_dir / "inbox" / "a.csv", PERSON, policy_overrides={"min_age": 21})
    summary = pipeline.import_file(conn, path, RUN, data_dir / "reports")
    assert summary.status == "rejected" and summary.rejected_by_reason == {"under_age": 1}
