"""The import's line-type lookups through the contact pipeline (the library's documented
interface), against the Twilio Lookup stand-in on loopback through the real twilio SDK."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from optline import warehouse
from optline.contacts import pipeline
from optline.contacts.policy import PolicyError, load_policy
from optline.lookup.step import LookupsUnavailable
from optline.runs import RunContext
from tests.helpers import PEOPLE_HEADER, person, write_csv
from tests.optline.lookup.conftest import LANDLINE, MOBILES


def _import(conn, data_dir: Path, name: str, numbers: list[str], policy: str, as_of: dt.datetime):
    people = [person(n, f"{name[:4]}{i}") for i, n in enumerate(numbers)]
    path = write_csv(data_dir / "inbox" / name, [PEOPLE_HEADER, *people], lists=["Main"], policy=policy)
    return pipeline.import_file(conn, path, RunContext(as_of=as_of, dag_id="test", run_id=name), data_dir / "reports")


def _outcome(conn, batch_id: int) -> dict[str, str | None]:
    rows = conn.execute("select e164, reason_code from staging.row_outcomes where batch_id = ? order by row_number",
                        [batch_id]).fetchall()
    return dict(rows)


def test_a_landline_is_refused_with_its_reason_and_the_cache_answers_the_next_import(
        conn, data_dir, policies, standin, twilio_connection, as_of):
    first = _import(conn, data_dir, "first.csv", [LANDLINE, MOBILES[0], MOBILES[1]], "lookups", as_of)
    assert first.status == "merged" and first.rejected_by_reason == {"landline": 1}
    assert _outcome(conn, first.batch_id) == {LANDLINE: "landline", MOBILES[0]: None, MOBILES[1]: None}
    assert first.lookups == {"provider": "twilio", "numbers": 3, "looked_up": 3, "from_cache": 0, "unavailable": 0,
                             "action": None, "reason": None}
    assert sorted(standin.answered_numbers()) == sorted([LANDLINE, MOBILES[0], MOBILES[1]])
    # no number in the cache: HMACs only
    cached = conn.execute("select * from ops.number_lookups").fetchall()
    assert len(cached) == 3 and not any(n in str(cached) for n in (LANDLINE, *MOBILES))
    report = (data_dir / "reports" / "batches" / f"{first.batch_id:06d}" / "report.html").read_text(encoding="utf-8")
    assert "3 looked up, 0 from the cache" in report

    second = _import(conn, data_dir, "second.csv", [LANDLINE, MOBILES[0], MOBILES[2]], "lookups", as_of)
    assert second.rejected_by_reason == {"landline": 1}
    assert second.lookups["looked_up"] == 1 and second.lookups["from_cache"] == 2
    assert standin.answered_numbers()[3:] == [MOBILES[2]]  # one request: the new number only


def test_an_answer_older_than_the_policy_max_age_is_asked_again(conn, data_dir, policies, standin, twilio_connection,
                                                               as_of):
    _import(conn, data_dir, "first.csv", [MOBILES[0], MOBILES[1]], "lookups", as_of)
    conn.execute("update ops.number_lookups set checked_at = checked_at - interval 91 days")  # max_age_days 90
    standin.set_line_type(MOBILES[0], "nonFixedVoip")  # moved to an app number since
    standin.set_line_type(MOBILES[1], "fixedVoip")
    again = _import(conn, data_dir, "again.csv", [MOBILES[0], MOBILES[1]], "lookups", as_of)
    assert again.lookups["looked_up"] == 2 and again.rejected_by_reason == {"non_fixed_voip": 1, "fixed_voip": 1}
    assert sorted(standin.answered_numbers()) == sorted([MOBILES[0], MOBILES[1]] * 2)


def test_an_outage_in_the_middle_of_an_import_passes_the_rest_as_unknown_under_pass_unknown(
        conn, data_dir, policies, standin, twilio_connection, as_of):
    standin.outage_after(2)
    numbers = [LANDLINE, *MOBILES[:4]]  # number order: the landline is asked first
    summary = _import(conn, data_dir, "outage.csv", numbers, "lookups", as_of)
    assert summary.status == "merged" and summary.rejected_by_reason == {"landline": 1}
    assert summary.rows_loaded == 4  # the unanswered numbers pass with their line type unknown
    assert summary.lookups["looked_up"] == 2 and summary.lookups["unavailable"] == 3
    assert summary.lookups["action"] == "pass_unknown" and summary.lookups["reason"] == "provider down: http 503"
    # after two 503s in a row the provider is down: the last number is never sent
    assert len(standin.requests) == 4


def test_an_outage_under_hold_sends_the_batch_to_review_with_the_reason(conn, data_dir, policies, standin,
                                                                         twilio_connection, as_of):
    standin.outage_after(1)
    summary = _import(conn, data_dir, "held.csv", [MOBILES[0], MOBILES[1], MOBILES[2]], "lookups_hold", as_of)
    assert summary.status == "awaiting_review"
    (reason,) = conn.execute("select reason from ops.batch_decisions where batch_id = ? and decided_by = 'lookup'",
                             [summary.batch_id]).fetchone()
    assert reason.startswith("line types unknown for 2 of 3 numbers") and "http 503" in reason


def test_an_outage_under_wait_fails_the_check_and_the_retry_asks_only_the_numbers_left(
        conn, data_dir, policies, standin, twilio_connection, as_of):
    standin.outage_after(3)
    numbers = [LANDLINE, *MOBILES[:5]]
    with pytest.raises(LookupsUnavailable, match="3 of 6 numbers"):
        _import(conn, data_dir, "wait.csv", numbers, "lookups_wait", as_of)
    (status,) = conn.execute("select status from ops.batches").fetchone()
    assert status == "staged"  # not checked: nothing judged without its line type
    asked_first = standin.answered_numbers()
    standin.script([])  # the provider is back
    summary = _import(conn, data_dir, "wait.csv", numbers, "lookups_wait", as_of)
    assert summary.status == "merged" and summary.rejected_by_reason == {"landline": 1}
    asked_again = standin.answered_numbers()[len(asked_first):]
    assert sorted(asked_again) == sorted(set(numbers) - set(asked_first)) and len(asked_again) == 3
    assert summary.lookups["looked_up"] == 6 and summary.lookups["unavailable"] == 0


def test_lookups_are_off_in_the_default_policy_and_nothing_is_asked(conn, data_dir, standin, as_of):
    summary = _import(conn, data_dir, "plain.csv", [LANDLINE, MOBILES[0]], "default", as_of)
    assert summary.status == "merged" and summary.rows_loaded == 2 and summary.lookups is None
    assert standin.requests == []
    assert warehouse.fetch_dicts(conn, "lookup/batch_lookups", batch_id=summary.batch_id) == []


def test_a_policy_refuses_an_unknown_line_type_and_an_override_that_stops_refusing_landlines(policies):
    (policies / "typo.yaml").write_text("extends: default\nline_types: {refuse: [landlines]}\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="unknown line types"):
        load_policy("typo")
    with pytest.raises(PolicyError, match="line_types.refuse"):
        load_policy("lookups", {"line_types": {"refuse": ["fixedVoip"]}})
    assert load_policy("lookups", {"line_types": {"refuse": ["landline", "fixedVoip", "nonFixedVoip", "pager"]}})

