"""Must-show: the sending process is killed mid-batch, and at the worst moment (the provider
accepted the message, its id not yet recorded); re-runs then reach every idempotency key to
the provider at most once, and lose none.

The sender is the real `optline send` command in its own process, talking real HTTP to the
Twilio stand-in; SIGKILL gives it no chance to clean up (DuckDB replays its WAL on the next
open)."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from optline import warehouse
from tests.conftest import PROJECT
from tests.helpers import person
from tests.optline.messaging.messaging_setup import (
    DAYTIME,
    assert_no_message_reached_a_suppressed_number,
    queue_welcomes,
    twilio_settings,
)
from tests.standins.twilio_server import TwilioStandIn

NUMBERS = 12
PEOPLE = [person(f"+1 702 555 01{n:02d}", f"P{n}", state="NV") for n in range(20, 20 + NUMBERS)]


def sender_env(data_dir: Path, url: str) -> dict[str, str]:
    s = twilio_settings(url)
    connection = {"conn_type": "generic", "login": s["account_sid"], "password": s["auth_token"], "host": url,
                  "extra": {"from_number": s["from_number"], "timeout": 2}}
    env = dict(os.environ, OPTLINE_DATA_DIR=str(data_dir), AIRFLOW_CONN_OPTLINE_TWILIO=json.dumps(connection),
               OPTLINE_MESSAGING_CONFIG=str(data_dir / "messaging.yaml"), PYTHONPATH=str(PROJECT / "include"))
    (data_dir / "messaging.yaml").write_text(
        "provider: twilio\ndispatch: {batch_size: 5, rate_per_second: 50, retry_backoff_seconds: 1}\n")
    return env


def start_sender(env: dict[str, str], as_of: dt.datetime) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "optline.cli", "send", "--as-of", as_of.isoformat()],
                            env=env, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def outbox(data_dir: Path) -> dict[str, tuple]:
    with warehouse.connect(data_dir / "warehouse.duckdb", read_only=True) as conn:
        return {r[0]: r[1:] for r in conn.execute(
            "select idempotency_key, e164, status, provider_message_id from msg.outbox").fetchall()}


@pytest.fixture
def queued(conn, tmp_path, data_dir) -> Path:
    assert queue_welcomes(conn, tmp_path, PEOPLE) == NUMBERS
    conn.close()
    return data_dir


def simulated_clock(start: dt.datetime):
    t0 = time.monotonic()
    return lambda: start + dt.timedelta(seconds=time.monotonic() - t0)


def finish_and_check(queued: Path, twilio: TwilioStandIn, env: dict[str, str], killed_runs: int) -> None:
    """Re-run the sender until the queue is empty; every key reached the provider once."""
    before = outbox(queued)
    assert len(before) == NUMBERS
    assert any(status == "claimed" for _, status, _ in before.values()) or killed_runs == 0
    for minutes in (10, 20):
        rerun = start_sender(env, DAYTIME + dt.timedelta(minutes=minutes))
        out, _ = rerun.communicate(timeout=120)
        assert rerun.returncode == 0, out
    after = outbox(queued)
    # none lost: every message sent, with the id the provider gave it
    assert {status for _, status, _ in after.values()} == {"sent"}
    sids = {m["to"]: m["sid"] for m in twilio.accepted}
    assert {e164: sid for e164, _, sid in after.values()} == sids
    # at most once: the provider took each key (one welcome per number) exactly once
    taken = [m["to"] for m in twilio.accepted]
    assert sorted(taken) == sorted(e164 for e164, _, _ in after.values())
    assert len(taken) == len(set(taken)) == NUMBERS
    with warehouse.connect(queued / "warehouse.duckdb", read_only=True) as conn:
        assert_no_message_reached_a_suppressed_number(conn, twilio.received)


@pytest.mark.usefixtures("backend")  # once-only on every backend
def test_killed_at_the_worst_moment_the_claim_is_reconciled_and_nothing_is_sent_twice(queued, data_dir):
    with TwilioStandIn(clock=simulated_clock(DAYTIME)) as twilio:
        env = sender_env(data_dir, twilio.url)
        twilio.script(["ok"] * 6 + ["kill_after_accept"])
        sender = start_sender(env, DAYTIME)
        twilio.kill_pid = sender.pid
        sender.communicate(timeout=120)
        assert sender.returncode == -signal.SIGKILL
        assert len(twilio.accepted) == 7
        crashed = outbox(queued)
        statuses = sorted(status for _, status, _ in crashed.values())
        # claims of 1 (the run's first), then batches of 5: the 7th call is the first of the
        # third batch, [7..11], committed claimed before that call; the 12th is not claimed
        assert statuses == ["claimed"] * 5 + ["queued"] + ["sent"] * 6
        claimed = [v for v in crashed.values() if v[1] == "claimed"]
        worst = next(v for v in claimed if v[0] == twilio.accepted[-1]["to"])
        assert worst[2] is None  # accepted, id not recorded
        assert {v[0] for v in claimed} & {r["to"] for r in twilio.received} == {worst[0]}  # the rest never called
        finish_and_check(queued, twilio, env, killed_runs=1)
        lookups = [r for r in twilio.list_requests if r["params"].get("To") == worst[0]]
        assert lookups, "the unknown outcome was looked up at the provider before anything else"


@pytest.mark.parametrize("kill_after", [2, 9])
def test_killed_mid_batch_at_any_point_each_key_reaches_the_provider_once(queued, data_dir, kill_after):
    with TwilioStandIn(clock=simulated_clock(DAYTIME)) as twilio:
        env = sender_env(data_dir, twilio.url)
        sender = start_sender(env, DAYTIME)

        def kill_when_accepted() -> None:  # from outside, at whatever the sender is doing then
            deadline = time.monotonic() + 60
            while len(twilio.accepted) < kill_after and time.monotonic() < deadline and sender.poll() is None:
                time.sleep(0.001)
            if sender.poll() is None:
                os.kill(sender.pid, signal.SIGKILL)

        killer = threading.Thread(target=kill_when_accepted)
        killer.start()
        sender.communicate(timeout=120)
        killer.join()
        assert sender.returncode == -signal.SIGKILL
        assert kill_after <= len(twilio.accepted) < NUMBERS
        finish_and_check(queued, twilio, env, killed_runs=0)


@pytest.mark.usefixtures("backend")
def test_two_dispatchers_racing_on_one_outbox_send_each_message_once(queued, data_dir):
    """Two `optline send` at once: on a DuckDB file the second cannot open the warehouse; on a
    lake both run, their claims take turns (a claim commits before its calls), and the provider
    takes each key once."""
    with TwilioStandIn(clock=simulated_clock(DAYTIME)) as twilio:
        env = sender_env(data_dir, twilio.url)
        senders = [start_sender(env, DAYTIME) for _ in range(2)]
        outputs = [s.communicate(timeout=180)[0] for s in senders]
        for sender, out in zip(senders, outputs, strict=True):
            assert sender.returncode == 0 or "busy" in out.lower() or "conflict" in out.lower(), out[-800:]
        assert any(s.returncode == 0 for s in senders)
        finish_and_check(queued, twilio, env, killed_runs=0)
