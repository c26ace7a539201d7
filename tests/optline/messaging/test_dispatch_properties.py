"""Property: whatever the provider answers, in any order (accepted, 429, 5xx before or after
storing the message, dropped connections, refusals, failed listings), re-running the
dispatcher ends every message sent or failed, the provider took each one at most once,
and the ids recorded are exactly the messages it took."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optline import warehouse
from optline.messaging import dispatch
from optline.messaging.settings import DispatchSettings
from optline.runs import RunContext
from tests.helpers import person
from tests.optline.messaging.messaging_setup import (
    DAYTIME,
    assert_no_message_reached_a_suppressed_number,
    outbox_rows,
    policy,
    queue_welcomes,
    twilio_provider,
)
from tests.standins.twilio_server import TwilioStandIn

PEOPLE = [person(f"+1 702 555 01{n:02d}", f"P{n}", state="NV") for n in range(40, 46)]
SETTINGS = DispatchSettings(batch_size=4, rate_per_second=1000, max_attempts=3, retry_backoff_seconds=60)
POST_FAULTS = ["ok", "429", "500", "503", "500_after_accept", "drop_after_accept", "invalid_number", "unsubscribed"]


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A warehouse with 6 welcomes queued, copied for each example."""
    folder = tmp_path_factory.mktemp("template")
    conn = warehouse.connect(folder / "warehouse.duckdb")
    queue_welcomes(conn, folder, PEOPLE)
    conn.close()
    return folder / "warehouse.duckdb"


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(posts=st.lists(st.sampled_from(POST_FAULTS), max_size=14),
       lists=st.lists(st.sampled_from(["ok", "500", "429", "drop"]), max_size=4))
def test_any_sequence_of_provider_faults_ends_with_each_message_taken_at_most_once_and_none_lost(
        template, tmp_path_factory, posts, lists):
    work = tmp_path_factory.mktemp("example")
    shutil.copy(template, work / "warehouse.duckdb")
    conn = warehouse.connect(work / "warehouse.duckdb")
    try:
        with TwilioStandIn(delay=0.2) as twilio:
            twilio.script(posts)
            twilio.fail_lists(lists)
            provider = twilio_provider(twilio.url, work, timeout=1.0)
            when = DAYTIME
            for _ in range(20):
                dispatch.dispatch(conn, provider, RunContext(as_of=when), SETTINGS, policy(),
                                  clock=lambda at=when: at)
                if not [r for r in outbox_rows(conn) if r["status"] in ("queued", "claimed")]:
                    break
                when += dt.timedelta(minutes=10)
            rows = outbox_rows(conn)
            taken = [m["to"] for m in twilio.accepted]
            assert len(taken) == len(set(taken))  # at most once
            assert {r["status"] for r in rows} <= {"sent", "failed"}  # none lost in between
            assert {r["provider_message_id"] for r in rows if r["status"] == "sent"} == {
                m["sid"] for m in twilio.accepted}
            assert not {r["e164"] for r in rows if r["status"] == "failed"} & set(taken)
            assert all(r["attempts"] <= SETTINGS.max_attempts for r in rows)
            assert_no_message_reached_a_suppressed_number(conn, twilio.received)
    finally:
        conn.close()
