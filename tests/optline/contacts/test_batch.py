"""The Batch the import steps share: loaded once from the warehouse, moved on by each step."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from optline.contacts import batch as batch_module
from optline.contacts import pipeline, policy
from optline.contacts.batch import BatchNotFoundError, load_batch
from optline.runs import RunContext
from tests.helpers import write_csv

AS_OF = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
RUN = RunContext(as_of=AS_OF, dag_id="test", run_id="r1")
ROWS = [["phone", "first_name", "dob", "opt_in"], ["(415) 555-0101", "Ann", "1990-01-01", "2026-10-01"],
        ["555-0100", "Bad", "1990-01-01", "2026-10-01"]]


def test_a_staged_batch_loads_with_its_policy_clock_and_manifest_settings(conn, data_dir):
    path = write_csv(data_dir / "inbox" / "a.csv", ROWS, lists=["Main"], default_country="CA", policy="alcohol",
                     policy_overrides={"min_age": 25})
    staged = pipeline.stage(conn, path, RUN)
    batch = load_batch(conn, staged.batch_id)
    assert (batch.batch_id, batch.file_name, batch.status, batch.lines_read) == (staged.batch_id, "a.csv", "staged", 2)
    assert batch.as_of == AS_OF and batch.default_country == "CA"
    assert (batch.policy.name, batch.policy.min_age, batch.policy.require_full_dob) == ("alcohol", 25, True)
    assert batch.settings["lists"] == ["Main"] and batch.settings["policy_overrides"] == {"min_age": 25}
    with pytest.raises(TypeError):
        batch.settings["lists"] = ["Other"]  # type: ignore[index]


def test_moving_a_batch_on_changes_its_status_only(conn, data_dir):
    staged = pipeline.stage(conn, write_csv(data_dir / "inbox" / "a.csv", ROWS), RUN)
    batch = load_batch(conn, staged.batch_id)
    checked = batch.moved_to("checked")
    assert (batch.status, checked.status) == ("staged", "checked")
    assert dataclasses.replace(checked, status="staged") == batch
    with pytest.raises(dataclasses.FrozenInstanceError):
        batch.status = "merged"  # type: ignore[misc]


def test_an_unknown_batch_says_where_to_find_the_ids(conn):
    with pytest.raises(BatchNotFoundError, match=r"no import batch 404 .*optline summary"):
        load_batch(conn, 404)


def test_an_import_loads_the_batch_and_reads_its_policy_once(conn, data_dir, monkeypatch):
    loads, policy_reads = [], []
    real_load, real_read = pipeline.load_batch, policy._read

    def counting_load(conn, batch_id):
        loads.append(batch_id)
        return real_load(conn, batch_id)

    def counting_read(name, policy_dir, seen=()):
        if not seen:  # a policy's `extends:` chain is one read
            policy_reads.append(name)
        return real_read(name, policy_dir, seen)

    monkeypatch.setattr(pipeline, "load_batch", counting_load)
    monkeypatch.setattr(policy, "_read", counting_read)
    summary = pipeline.import_file(conn, write_csv(data_dir / "inbox" / "a.csv", ROWS), RUN, data_dir / "reports")
    assert (summary.status, summary.rows_loaded, summary.rows_rejected) == ("merged", 1, 1)
    assert loads == [summary.batch_id]
    assert policy_reads == ["default"]


def test_each_step_takes_the_batch_and_the_steps_in_a_row_merge_it(conn, data_dir):
    staged = pipeline.stage(conn, write_csv(data_dir / "inbox" / "a.csv", ROWS), RUN)
    batch = load_batch(conn, staged.batch_id)
    checked = pipeline.check(conn, batch, data_dir / "reports")
    assert (checked.status, checked.rows_loaded, checked.rows_rejected) == ("checked", 1, 1)
    verdict = pipeline.validate(conn, load_batch(conn, staged.batch_id), data_dir / "reports")
    assert verdict.decision == "validated"
    again = pipeline.check(conn, load_batch(conn, staged.batch_id), data_dir / "reports")  # idempotent
    assert (again.status, again.rows_loaded) == ("validated", 1)
    assert pipeline.is_mergeable(load_batch(conn, staged.batch_id))
    summary = pipeline.merge(conn, load_batch(conn, staged.batch_id), data_dir / "reports")
    assert (summary.status, summary.new_contacts) == ("merged", 1)
    assert not pipeline.is_mergeable(load_batch(conn, staged.batch_id))
    assert batch_module.load_batch(conn, staged.batch_id).status == "merged"
