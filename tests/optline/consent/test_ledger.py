"""The consent ledger: scopes, what lifts an opt-out, suppression in imports and audiences."""

from __future__ import annotations

import datetime as dt

import pytest

from optline.consent import ledger as consent
from optline.contacts import pipeline
from optline.runs import RunContext
from tests.helpers import write_csv

T0 = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
AS_OF = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
NUMBER = "+14155550101"


def event(kind: str, scope: str = "all", days: int = 0) -> consent.Event:
    return consent.Event(NUMBER, scope, kind, T0 + dt.timedelta(days=days), "test", kind)


@pytest.mark.parametrize("scope,sms,whatsapp", [("all", True, True), ("sms", True, False), ("whatsapp", False, True)])
def test_an_opt_out_suppresses_the_channels_its_scope_covers(conn, scope, sms, whatsapp):
    consent.append(conn, [event("opt_in", "sms"), event("opt_in", "whatsapp"), event("opt_out", scope, 1)])
    assert consent.is_suppressed(conn, NUMBER, "sms") is sms
    assert consent.is_suppressed(conn, NUMBER, "whatsapp") is whatsapp


def test_a_later_import_opt_in_never_lifts_an_opt_out(conn):
    consent.append(conn, [event("opt_out", "all", 1), event("opt_in", "sms", 5)])
    assert consent.is_suppressed(conn, NUMBER, "sms")


def test_the_numbers_own_resubscribe_lifts_an_opt_out_on_its_scope_only(conn):
    consent.append(conn, [event("opt_out", "all", 1), event("resubscribe", "sms", 2)])
    assert not consent.is_suppressed(conn, NUMBER, "sms")
    assert consent.is_suppressed(conn, NUMBER, "whatsapp")


def test_an_opt_out_after_a_resubscribe_wins_again(conn):
    consent.append(conn, [event("opt_out", "sms", 1), event("resubscribe", "sms", 2), event("opt_out", "sms", 3)])
    assert consent.is_suppressed(conn, NUMBER, "sms")


def test_an_unknown_number_is_not_suppressed_and_bad_scopes_are_refused(conn):
    assert not consent.is_suppressed(conn, "+14155550199", "sms")
    with pytest.raises(ValueError, match="scope"):
        consent.Event(NUMBER, "email", "opt_out", T0, "t", "t")


def test_an_import_rejects_a_number_that_opted_out_even_before_it_was_ever_imported(conn, data_dir):
    consent.append(conn, [event("opt_out", "sms", 1)])
    path = write_csv(data_dir / "inbox" / "a.csv", [["phone", "first_name", "dob", "opt_in"],
                                                    ["(415) 555-0101", "Ann", "1990-01-01", "2026-10-01"],
                                                    ["(415) 555-0102", "Bo", "1990-01-01", "2026-10-01"]])
    summary = pipeline.import_file(conn, path, RunContext(as_of=AS_OF), data_dir / "reports")
    assert summary.rejected_by_reason == {"previously_opted_out": 1}
    assert conn.execute("select e164 from core.contacts").fetchall() == [("+14155550102",)]


def test_a_whatsapp_list_still_takes_a_number_that_opted_out_of_sms_only(conn, data_dir):
    consent.append(conn, [event("opt_out", "sms", 1)])
    path = write_csv(data_dir / "inbox" / "a.csv", [["phone", "first_name", "dob", "opt_in"],
                                                    ["(415) 555-0101", "Ann", "1990-01-01", "2026-10-01"]],
                     channel="whatsapp")
    assert pipeline.import_file(conn, path, RunContext(as_of=AS_OF), data_dir / "reports").rows_loaded == 1


def test_an_opt_out_removes_the_member_from_every_audience_at_once(conn, data_dir):
    path = write_csv(data_dir / "inbox" / "a.csv", [["phone", "first_name", "dob", "opt_in"],
                                                    ["(415) 555-0101", "Ann", "1990-01-01", "2026-10-01"],
                                                    ["(415) 555-0102", "Bo", "1990-01-01", "2026-10-01"]],
                     lists=["A", "B"])
    pipeline.import_file(conn, path, RunContext(as_of=AS_OF), data_dir / "reports")
    assert conn.execute("select count(*) from marts.audiences").fetchone()[0] == 4
    consent.append(conn, [consent.Event(NUMBER, "sms", "opt_out", AS_OF, "inbound", "STOP")])
    audiences = conn.execute("select list_name, e164_masked from marts.audiences order by 1").fetchall()
    assert audiences == [("A", "••••••••••02"), ("B", "••••••••••02")]
