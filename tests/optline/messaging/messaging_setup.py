"""Shared set-up for the messaging tests: real imports, a Twilio stand-in provider, clocks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from optline.messaging import outbox, providers, quiethours
from optline.messaging.settings import DispatchSettings, WelcomeSettings
from tests.helpers import import_people
from tests.standins.twilio_server import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

IMPORTED_AT = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
# 19:00 UTC on a Monday: 11:00 in Las Vegas, 14:00 in New York and Miami.
DAYTIME = dt.datetime(2026, 11, 2, 19, 0, tzinfo=dt.UTC)
SENDER = "+17025550100"
WELCOME = WelcomeSettings(template="Hi {first_name}, reply {confirm_keyword} to join {list}.")
FAST = DispatchSettings(batch_size=4, rate_per_second=1000, max_messages_per_run=1000, max_seconds_per_run=120,
                        max_attempts=3, retry_backoff_seconds=60)


def twilio_settings(url: str, **extra) -> dict:
    return {"account_sid": DEFAULT_ACCOUNT_SID, "auth_token": DEFAULT_AUTH_TOKEN, "from_number": SENDER,
            "base_url": url, "timeout": 1.0, **extra}


def twilio_provider(url: str, tmp_path: Path, **extra) -> providers.Provider:
    return providers.build_provider("twilio", twilio_settings(url, **extra), sandbox_dir=tmp_path / "sandbox")


def queue_welcomes(conn, folder: Path, people: list[list[str]], **manifest) -> int:
    """Import `people` (tests.helpers.person rows) and queue their welcomes."""
    import_people(conn, folder, "people.csv", people, as_of=IMPORTED_AT, **manifest)
    return outbox.enqueue_welcomes(conn, WELCOME, IMPORTED_AT).queued


def fixed(when: dt.datetime):
    return lambda: when


def policy() -> quiethours.QuietHoursPolicy:
    return quiethours.load_policy()


def outbox_rows(conn) -> list[dict]:
    cur = conn.execute("""select outbox_id, e164, status, status_reason, attempts, provider_message_id, not_before,
        last_error from msg.outbox order by outbox_id""")
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


CLAIMS = """
select distinct attempts.claim_token, attempts.claimed_at, outbox.e164, outbox.number_hmac, outbox.channel
from msg.send_attempts as attempts
inner join msg.outbox as outbox using (outbox_id)
"""

CLAIMED_WHILE_SUPPRESSED = f"""
with claims as ({CLAIMS})
select claims.e164, claims.claimed_at
from claims
where exists (
    select 1 from core.consent_events as stop
    where stop.number_hmac = claims.number_hmac and stop.kind = 'opt_out'
        and stop.scope in (claims.channel, 'all') and stop.effective_at <= claims.claimed_at
        and not exists (
            select 1 from core.consent_events as start
            where start.number_hmac = stop.number_hmac and start.kind = 'resubscribe'
                and start.scope in (claims.channel, 'all')
                and start.effective_at > stop.effective_at and start.effective_at <= claims.claimed_at))
"""


def assert_no_message_reached_a_suppressed_number(conn, received: list[dict]) -> None:
    """Every request the stand-in received belongs to one of our claims (a claim is one call
    at most; `msg.send_attempts` names each claim by its outcome or its reconciliation), and
    no claim was made while the ledger had the number suppressed on that channel."""
    from collections import Counter

    claims = Counter(r[2] for r in conn.execute(CLAIMS).fetchall())
    posts = Counter(r["to"].removeprefix("whatsapp:") for r in received)
    assert all(posts[number] <= claims[number] for number in posts), (posts, claims)
    assert conn.execute(CLAIMED_WHILE_SUPPRESSED).fetchall() == []
