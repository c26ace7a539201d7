"""Batched claims and concurrent calls, against the Twilio stand-in on loopback: a batch's claim
is committed before any of its calls (the real `optline send`, killed at its first call), the
calls overlap yet never start faster than `rate_per_second` (the stand-in's own receive times),
each message of a batch gets its own outcome, and a refused credential stops the calls still
waiting, whose claims are released."""

from __future__ import annotations

import datetime as dt
import signal

import duckdb
import pytest

from optline.messaging import dispatch
from optline.messaging.settings import DispatchSettings
from optline.runs import RunContext
from tests.helpers import person
from tests.optline.messaging.messaging_setup import (
    DAYTIME,
    assert_no_message_reached_a_suppressed_number,
    fixed,
    outbox_rows,
    policy,
    queue_welcomes,
    twilio_provider,
)
from tests.optline.messaging.test_dispatch_crash import (
    NUMBERS,
    finish_and_check,
    outbox,
    queued,  # noqa: F401 - the fixture
    sender_env,
    simulated_clock,
    start_sender,
)
from tests.standins.twilio_server import TwilioStandIn


def send(conn, provider, when, settings):
    return dispatch.dispatch(conn, provider, RunContext(as_of=when, dag_id="test", run_id=str(when)), settings,
                             policy(), clock=fixed(when))


def numbers(first: int, count: int) -> list[list[str]]:
    return [person(f"+1 702 555 0{n}", f"P{n}", state="NV") for n in range(first, first + count)]


def test_a_batch_claim_is_committed_before_any_of_its_calls(queued, data_dir):  # noqa: F811 - the fixture
    with TwilioStandIn(clock=simulated_clock(DAYTIME)) as twilio:
        env = sender_env(data_dir, twilio.url)  # batches of 5 after the run's first claim of 1
        twilio.script(["ok", "kill_after_accept"])  # killed at the first call of the second batch
        sender = start_sender(env, DAYTIME)
        twilio.kill_pid = sender.pid
        sender.communicate(timeout=120)
        assert sender.returncode == -signal.SIGKILL
        assert len(twilio.accepted) == 2
        crashed = outbox(queued)
        assert sorted(status for _, status, _ in crashed.values()) == ["claimed"] * 5 + ["queued"] * 6 + ["sent"]
        with duckdb.connect(str(queued / "warehouse.duckdb"), read_only=True) as conn:
            claims = conn.execute("""select claim_token, claimed_at, attempts from msg.outbox
                where status = 'claimed'""").fetchall()
        # one batch: committed as one claim (its token's prefix and time), every row of it
        # on disk although the provider was called for one of them only
        assert len({token.split(":")[0] for token, _, _ in claims}) == 1
        assert len({at for _, at, _ in claims}) == 1 and {a for _, _, a in claims} == {1}
        called = {r["to"] for r in twilio.received}
        assert len({e164 for e164, status, _ in crashed.values() if status == "claimed"} & called) == 1
        finish_and_check(queued, twilio, env, killed_runs=1)
        assert len(twilio.accepted) == NUMBERS


def test_calls_overlap_yet_never_start_faster_than_the_rate(conn, tmp_path):
    rate, count, answer_after = 20, 40, 0.15
    assert queue_welcomes(conn, tmp_path, numbers(140, count)) == count
    settings = DispatchSettings(batch_size=500, rate_per_second=rate, concurrency=8, max_attempts=3)
    with TwilioStandIn(delay=answer_after) as twilio:
        twilio.script(lambda _request: "timeout")  # stored, answered 201 after 0.15 s (the client waits 2 s)
        result = send(conn, twilio_provider(twilio.url, tmp_path, timeout=2.0), DAYTIME, settings)
        times = sorted(r["time"] for r in twilio.received)
    assert result.sent == count and len(times) == count
    gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:])]
    # concurrent: most calls reached the provider before the previous one was answered (one
    # at a time, no two arrivals could be closer than the 0.15 s each answer takes)
    assert sum(g < answer_after for g in gaps) > len(gaps) / 2, gaps
    # within the rate: never more calls in any second than it admits (generous: + 25 % for
    # thread wake-ups, + 1 for the window's edge); unpaced, 8 threads would start ~50 a second
    busiest = max(sum(1 for t in times[i:] if (t - start).total_seconds() < 1.0) for i, start in enumerate(times))
    assert busiest <= rate * 1.25 + 1, busiest
    assert (times[-1] - times[0]).total_seconds() >= (count - 1) / rate * 0.8


def test_each_message_of_a_batch_gets_its_own_outcome(conn, tmp_path):
    people = numbers(180, 7)
    assert queue_welcomes(conn, tmp_path, people) == 7
    modes = {"+17025550180": "ok", "+17025550181": "429", "+17025550182": "500", "+17025550183": "invalid_number",
             "+17025550184": "drop_after_accept", "+17025550185": "ok", "+17025550186": "unsubscribed"}
    settings = DispatchSettings(batch_size=500, rate_per_second=1000, concurrency=8, max_attempts=3,
                                retry_backoff_seconds=60)
    with TwilioStandIn() as twilio:
        twilio.script(lambda request: modes[request["to"]])
        first = send(conn, twilio_provider(twilio.url, tmp_path), DAYTIME, settings)
        assert (first.sent, first.retry_later, first.unknown, first.failed) == (2, 1, 2, 2)
        rows = {r["e164"]: r for r in outbox_rows(conn)}
        sids = {m["to"]: m["sid"] for m in twilio.accepted}
        state = {e164: (r["status"], r["status_reason"], r["provider_message_id"], r["last_error"])
                 for e164, r in rows.items()}
        assert state == {
            "+17025550180": ("sent", None, sids["+17025550180"], None),
            "+17025550181": ("queued", "retry", None, "http 429"),
            "+17025550182": ("claimed", None, None, "http 500"),
            "+17025550183": ("failed", "rejected", None, "twilio 21211"),
            "+17025550184": ("claimed", None, None, "connection dropped"),
            "+17025550185": ("sent", None, sids["+17025550185"], None),
            "+17025550186": ("failed", "rejected", None, "twilio 21610"),
        }
        assert rows["+17025550181"]["not_before"] == DAYTIME + dt.timedelta(seconds=60)
        attempts = dict(conn.execute("""select outbox.e164, attempts.outcome from msg.send_attempts as attempts
            inner join msg.outbox as outbox using (outbox_id)""").fetchall())
        assert attempts == {"+17025550180": "accepted", "+17025550181": "retry", "+17025550182": "unknown",
                            "+17025550183": "rejected", "+17025550184": "unknown", "+17025550185": "accepted",
                            "+17025550186": "rejected"}
        # ten minutes on: the lost answer is found, the 500 never stored is sent again, the 429 retried
        modes.update({"+17025550181": "ok", "+17025550182": "ok"})
        later = send(conn, twilio_provider(twilio.url, tmp_path), DAYTIME + dt.timedelta(minutes=10), settings)
        assert (later.reconciled_sent, later.reconciled_requeued, later.sent) == (1, 1, 2)
        taken = [m["to"] for m in twilio.accepted]
        assert len(taken) == len(set(taken)) == 5
        assert {r["e164"]: r["status"] for r in outbox_rows(conn)} == {
            **{e164: "sent" for e164 in taken}, "+17025550183": "failed", "+17025550186": "failed"}
        assert {r["provider_message_id"] for r in outbox_rows(conn) if r["status"] == "sent"} == set(
            m["sid"] for m in twilio.accepted)
        assert_no_message_reached_a_suppressed_number(conn, twilio.received)


def test_refused_credentials_stop_the_waiting_calls_and_release_their_claims(conn, tmp_path):
    assert queue_welcomes(conn, tmp_path, numbers(190, 6)) == 6
    settings = DispatchSettings(batch_size=500, rate_per_second=2, concurrency=8, max_attempts=3)
    with TwilioStandIn() as twilio:
        def rotate_after_the_first(_request) -> str:  # the token changes at the provider after one send
            twilio.auth_token = "rotated-" + twilio.auth_token
            return "ok"
        twilio.script(rotate_after_the_first)
        with pytest.raises(dispatch.ProviderAuthError, match="refused our credentials"):
            send(conn, twilio_provider(twilio.url, tmp_path), DAYTIME, settings)
        received = twilio.received
    # the probe went, the second batch (4 at 2/s) was claimed, its first call was refused and
    # the three waiting for their turn were never made
    assert len(received) == 2 and [r["auth_ok"] for r in received] == [True, False]
    rows = outbox_rows(conn)
    assert sorted((r["status"], r["status_reason"] or "", r["attempts"]) for r in rows) == [
        ("queued", "", 0), ("queued", "", 0), ("queued", "", 0), ("queued", "", 0),
        ("queued", "retry", 1), ("sent", "", 1)]
    assert conn.execute("select count(*) from msg.outbox where claim_token is not null and status = 'queued' "
                        "and status_reason is null").fetchone() == (0,)
    outcomes = sorted(r[0] for r in conn.execute("select outcome from msg.send_attempts").fetchall())
    assert outcomes == ["accepted", "rejected"]
