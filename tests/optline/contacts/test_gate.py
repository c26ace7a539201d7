"""The contact-import gate: how results decide, and how a decision moves the batch."""

from __future__ import annotations

import datetime as dt

import pytest

from optline import warehouse
from optline.consent import ledger as consent
from optline.contacts import gate, pipeline
from optline.contacts.batch import load_batch
from optline.contacts.policy import load_policy
from optline.quality.suites import load_suite
from optline.runs import RunContext
from tests.helpers import write_csv

RUN = RunContext(as_of=dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC), dag_id="test", run_id="r1")


def result(severity: str, success: bool, description: str = "x") -> dict:
    return {"severity": severity, "success": success, "description": description,
            "expectation_type": "expect_column_max_to_be_between", "column_name": "rejected_share"}


def test_a_critical_failure_rejects_a_review_failure_holds_and_none_validates():
    assert gate.decide([result("critical", False, "c"), result("review", False, "r")])[0] == "rejected"
    decision, critical, review = gate.decide([result("review", False, "r"), result("critical", True)])
    assert (decision, critical) == ("awaiting_review", ())
    assert review == ("not met: r",)  # no failure template: the wish, marked as not met
    assert gate.decide([result("review", True), result("observe", False)])[0] == "validated"


def test_a_failure_reads_as_the_rule_that_failed_with_what_was_observed():
    templates = gate.failure_templates(load_suite("contact_list"))
    shares = {**result("review", False, "Few rows are rejected (above the review share: a person looks)."),
              "observed_value": 0.125, "kwargs": {"column": "rejected_share", "max_value": 0.1}}
    rows = {**result("critical", False, "No accepted number opted out before (consent ledger)."),
            "unexpected_count": 3, "kwargs": {"column": "previously_opted_out", "value_set": [False]}}
    decision, critical, review = gate.decide([shares, rows], templates)
    assert decision == "rejected"
    assert critical == ("3 accepted number(s) opted out before (consent ledger)",)
    assert review == ("12.5% of the rows rejected, above the review limit of 10.0%",)
    verdict = gate.Verdict(1, decision, critical, review, 2)
    assert verdict.reason == "3 accepted number(s) opted out before (consent ledger); 12.5% of the rows rejected, " \
                             "above the review limit of 10.0%"
    missing = {**shares, "observed_value": None}  # GX observed nothing: the wish, marked as not met
    assert gate.decide([missing], templates)[2] == ("not met: " + shares["description"],)


def test_every_expectation_of_the_contact_suite_says_how_it_fails():
    suite = load_suite("contact_list")
    assert len(gate.failure_templates(suite)) == len(suite["expectations"])


def test_the_suite_parameters_come_from_the_policy_without_the_review_timeout():
    parameters = gate.suite_parameters(load_policy("alcohol"))
    assert parameters["min_age"] == 21 and parameters["opt_in_required_share"] == 1.0
    assert "review_timeout_minutes" not in parameters and "review_max_rejected_share" in parameters


def test_a_batch_past_the_gate_keeps_its_verdict(conn, data_dir):
    path = write_csv(data_dir / "inbox" / "a.csv", [["phone", "dob", "opt_in"], ["(415) 555-0101", "1990-01-01",
                                                                                 "2026-10-01"]])
    summary = pipeline.import_file(conn, path, RUN, data_dir / "reports")
    verdict = gate.validate_batch(conn, load_batch(conn, summary.batch_id))
    assert (verdict.decision, verdict.expectations, verdict.reason) == ("merged", 0, None)


def test_recording_a_decision_moves_the_batch_and_returns_it_moved(conn, data_dir):
    rows = [["phone", "dob", "opt_in"], *[[f"(415) 555-{n:04d}", "1990-01-01", "2026-10-01"] for n in range(101, 110)],
            ["555-0100", "1990-01-01", "2026-10-01"], ["555-0100", "1990-01-01", "2026-10-01"]]
    path = write_csv(data_dir / "inbox" / "held.csv", rows, policy_overrides={})  # 18 % rejected: held
    summary = pipeline.import_file(conn, path, RUN, data_dir / "reports")
    held = load_batch(conn, summary.batch_id)
    assert held.status == "awaiting_review"
    decided = gate.record_decision(conn, held, "refused", "Dana", "not our list", dag_id="test")
    assert (held.status, decided.status) == ("awaiting_review", "refused")
    assert load_batch(conn, summary.batch_id) == decided
    last = conn.execute("select decision, decided_by, reason from ops.batch_decisions where batch_id = ? "
                        "order by decided_at desc limit 1", [summary.batch_id]).fetchone()
    assert last == ("refused", "Dana", "not our list")


def test_expectations_that_cannot_run_fail_the_step_and_leave_the_batch_checked_never_rejected(conn, data_dir):
    """At 14M rows the row-level expectations ran out of DuckDB's memory, and the gate rejected
    the batch for it (an error counted as a failed critical expectation). A view that raises
    when read stands in for any such error here."""
    path = write_csv(data_dir / "inbox" / "a.csv", [["phone", "dob", "opt_in"], ["(415) 555-0101", "1990-01-01",
                                                                                 "2026-10-01"]])
    staged = pipeline.stage(conn, path, RUN)
    pipeline.check(conn, load_batch(conn, staged.batch_id), data_dir / "reports")
    conn.execute("create table accepted_copy as select * from quality.accepted_rows")
    conn.execute("create or replace view quality.accepted_rows as "
                 "select * replace (error('the view is broken')::varchar as e164) from accepted_copy")

    with pytest.raises(gate.ExpectationsNotEvaluated, match="could not be evaluated.*stays checked"):
        gate.validate_batch(conn, load_batch(conn, staged.batch_id))

    assert load_batch(conn, staged.batch_id).status == "checked"
    decisions = conn.execute("select count(*) from ops.batch_decisions where batch_id = ?", [staged.batch_id])
    assert decisions.fetchone() == (0,)
    warehouse.migrate(conn)  # views are re-created on every migrate: the retry finds the real one
    assert gate.validate_batch(conn, load_batch(conn, staged.batch_id)).decision == "validated"


def test_a_number_opted_out_between_check_and_validate_fails_the_ledger_expectation(conn, data_dir):
    """The rules refuse numbers the ledger suppresses at check time; the expectation reads the
    ledger again at validate time, so an opt-out that lands in between still stops the batch."""
    rows = [["phone", "dob", "opt_in"], ["(415) 555-0101", "1990-01-01", "2026-10-01"],
            ["(415) 555-0102", "1990-01-01", "2026-10-01"]]
    staged = pipeline.stage(conn, write_csv(data_dir / "inbox" / "a.csv", rows), RUN)
    pipeline.check(conn, load_batch(conn, staged.batch_id), data_dir / "reports")
    flagged = "select count(*) filter (where previously_opted_out) from quality.accepted_rows where batch_id = ?"
    assert conn.execute(flagged, [staged.batch_id]).fetchone() == (0,)

    consent.append(conn, [consent.Event("+14155550102", "all", "opt_out", RUN.as_of, "inbound", "STOP")])
    assert conn.execute(flagged, [staged.batch_id]).fetchone() == (1,)
    verdict = gate.validate_batch(conn, load_batch(conn, staged.batch_id))
    assert verdict.decision == "rejected" and "opted out before" in (verdict.reason or "")


def test_a_number_and_name_accepted_twice_in_a_batch_fails_the_uniqueness_expectation(conn, data_dir):
    """A second line behind the rules' duplicate_in_file (the merge takes one accepted row per
    number + name): if two accepted rows still share number and name (here: one made so by hand
    after the check), the batch's count of them fails the critical expectation and stops it."""
    rows = [["phone", "first_name", "dob", "opt_in"], ["(415) 555-0101", "Ann", "1990-01-01", "2026-10-01"],
            ["(415) 555-0102", "Bo", "1990-01-01", "2026-10-01"]]
    staged = pipeline.stage(conn, write_csv(data_dir / "inbox" / "a.csv", rows), RUN)
    pipeline.check(conn, load_batch(conn, staged.batch_id), data_dir / "reports")
    repeated = "select repeated_rows from quality.batch_shares where batch_id = ?"
    assert conn.execute(repeated, [staged.batch_id]).fetchone() == (0,)
    conn.execute("update staging.row_outcomes set e164 = '+14155550101', first_name = 'ann' "
                 "where batch_id = ? and row_number = 2", [staged.batch_id])
    assert conn.execute(repeated, [staged.batch_id]).fetchone() == (2,)
    verdict = gate.validate_batch(conn, load_batch(conn, staged.batch_id))
    assert verdict.decision == "rejected" and "2 row(s) whose number + name appears twice" in (verdict.reason or "")


def test_the_expectations_read_the_region_and_stated_age_the_verdict_carries(conn, data_dir):
    """quality.accepted_rows takes each row's region and stated age from its outcome (not from the
    staged rows and parses again): an outcome changed by hand after the check (a rules bug) fails
    the age and region expectations."""
    rows = [["phone", "age", "opt_in"], ["(415) 555-0101", "30", "2026-10-01"],
            ["(415) 555-0102", "40", "2026-10-01"]]
    staged = pipeline.stage(conn, write_csv(data_dir / "inbox" / "a.csv", rows), RUN)
    pipeline.check(conn, load_batch(conn, staged.batch_id), data_dir / "reports")
    carried = "select region, age_years from staging.row_outcomes where batch_id = ? order by row_number"
    assert conn.execute(carried, [staged.batch_id]).fetchall() == [("US", 30), ("US", 40)]
    seen = "select age_years, region_allowed from quality.accepted_rows where batch_id = ? order by age_years"
    assert conn.execute(seen, [staged.batch_id]).fetchall() == [(30, True), (40, True)]

    conn.execute("update staging.row_outcomes set age_years = 15, region = 'GB' "
                 "where batch_id = ? and row_number = 2", [staged.batch_id])
    assert conn.execute(seen, [staged.batch_id]).fetchall() == [(15, False), (30, True)]
    verdict = gate.validate_batch(conn, load_batch(conn, staged.batch_id))
    assert verdict.decision == "rejected"
    assert "1 person(s) younger than the minimum age, 18" in verdict.failed_critical
    assert "1 number(s) from a region the list does not allow" in verdict.failed_critical
