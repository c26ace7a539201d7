"""Reassigned numbers before the welcome: through `outbox.enqueue_welcomes` (what the
welcome_messages DAG and `optline welcome` run), against the Twilio Lookup stand-in, and from
an imported FCC RND answer file."""

from __future__ import annotations

import datetime as dt

import pytest

from optline.lookup import fcc_rnd
from optline.lookup.reassigned import ReassignmentCheckUnavailable
from optline.messaging.outbox import enqueue_welcomes
from optline.messaging.settings import WelcomeSettings
from tests.helpers import import_people, person
from tests.optline.lookup.conftest import MOBILES

CONSENT = dt.date(2026, 10, 1)  # tests.helpers.person's opt-in date


def _welcomes(conn) -> dict[str, tuple[str, str | None]]:
    rows = conn.execute("select e164, status, status_reason from msg.outbox where kind = 'welcome'").fetchall()
    return {e164: (status, reason) for e164, status, reason in rows}


def test_a_number_reassigned_after_its_consent_gets_no_welcome_and_the_reason(conn, data_dir, policies, standin,
                                                                             twilio_connection, as_of):
    import_people(conn, data_dir, "people.csv", [person(MOBILES[0], "Ann"), person(MOBILES[1], "Bo")],
                  as_of=as_of, policy="lookups")
    standin.set_reassigned(MOBILES[0], dt.date(2026, 10, 15))  # disconnected after the consent
    standin.set_reassigned(MOBILES[1], dt.date(2026, 9, 1))    # before it: the consent is the new owner's
    result = enqueue_welcomes(conn, WelcomeSettings(), as_of)
    assert result.queued == 1
    assert _welcomes(conn) == {MOBILES[0]: ("cancelled", "reassigned_number"), MOBILES[1]: ("queued", None)}
    (detail,) = conn.execute("select last_error from msg.outbox where status = 'cancelled'").fetchone()
    assert detail.startswith("reassigned after the consent of 2026-10-01 (twilio")
    asked = [(r["number"], r["fields"], r["last_verified_date"]) for r in standin.requests
             if r["fields"] == ["reassigned_number"]]
    assert sorted(asked) == [(MOBILES[0], ["reassigned_number"], "20261001"),
                             (MOBILES[1], ["reassigned_number"], "20261001")]
    assert enqueue_welcomes(conn, WelcomeSettings(), as_of).queued == 0  # nothing twice, nothing re-asked
    assert len([r for r in standin.requests if r["fields"] == ["reassigned_number"]]) == 2


def test_a_provider_down_under_wait_queues_no_welcome_until_it_answers(conn, data_dir, policies, standin,
                                                                       twilio_connection, as_of):
    import_people(conn, data_dir, "people.csv", [person(MOBILES[0], "Ann"), person(MOBILES[1], "Bo")],
                  as_of=as_of, policy="lookups")
    standin.outage_after(1)  # the first reassignment request answered, then 503s
    with pytest.raises(ReassignmentCheckUnavailable, match="1 welcome"):
        enqueue_welcomes(conn, WelcomeSettings(), as_of)
    assert _welcomes(conn) == {}
    standin.script([])
    before = len(standin.requests)
    assert enqueue_welcomes(conn, WelcomeSettings(), as_of).queued == 2
    assert len(standin.requests) - before == 1  # the answer kept from the first run is not asked again


def test_the_fcc_answer_file_suppresses_a_reassigned_number_without_any_request(conn, data_dir, policies, standin,
                                                                                twilio_connection, as_of, tmp_path):
    import_people(conn, data_dir, "people.csv", [person(MOBILES[0], "Ann"), person(MOBILES[1], "Bo"),
                                                 person(MOBILES[2], "Cy")], as_of=as_of, policy="fcc")
    answers = tmp_path / "rnd_results.csv"
    answers.write_text("Phone Number,Date Provided,Result\n"
                       f"{MOBILES[0][2:]},10/01/2026,Yes\n"
                       f"{MOBILES[1]},2026-10-01,No\n"
                       "not a number,2026-10-01,Yes\n", encoding="utf-8")
    imported = fcc_rnd.import_file(conn, answers)
    assert (imported.rows, imported.imported, imported.invalid_lines) == (3, 2, [4])
    before = len([r for r in standin.requests if r["fields"] == ["reassigned_number"]])
    result = enqueue_welcomes(conn, WelcomeSettings(), as_of)
    assert result.queued == 2  # the third has no FCC answer: passed as unknown (the policy's pass_unknown)
    assert _welcomes(conn)[MOBILES[0]] == ("cancelled", "reassigned_number")
    assert len([r for r in standin.requests if r["fields"] == ["reassigned_number"]]) == before


def test_the_fcc_answer_file_is_kept_by_the_command_which_names_invalid_lines(conn, data_dir, tmp_path, capsys):
    from optline import warehouse
    from optline.cli import main

    answers = tmp_path / "rnd_results.csv"
    answers.write_text("Phone Number,Date Provided,Result\n"
                       f"{MOBILES[0]},2026-10-01,Yes\n"
                       "not a number,2026-10-01,Yes\n", encoding="utf-8")
    conn.close()
    assert main(["import-fcc", str(answers), "--answered-on", "2026-12-01"]) == 1  # one invalid line
    out = capsys.readouterr().out
    assert "2 line(s) read, 1 FCC answer(s) kept (yes 1), 1 invalid (lines 3)" in out
    assert MOBILES[0] not in out and MOBILES[0][2:] not in out
    again = warehouse.connect()
    try:
        kept = again.execute("select kind, checked_at::date from ops.number_lookups").fetchall()
    finally:
        again.close()
    assert kept == [("reassigned", dt.date(2026, 12, 1))]
