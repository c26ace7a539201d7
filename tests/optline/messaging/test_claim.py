"""The claim re-reads the ledger: a STOP that lands after a batch was picked is never sent.

The dispatcher picks due messages and checks them (messaging/outbox_due), calls nothing, then
claims them in one transaction. On a lake another process may append to the ledger between
the pick and the claim, so the claim itself refuses a number the ledger or a suspension now
holds; the message stays queued, and the next pick cancels it with its reason."""

from __future__ import annotations

import datetime as dt

from optline import warehouse
from optline.config import hmac_key
from optline.consent import ledger
from optline.phones import number_hmac

NOW = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
NUMBERS = ("+17025550115", "+17025550116", "+17025550117")


def queue(conn) -> None:
    key = hmac_key()
    for outbox_id, e164 in enumerate(NUMBERS, start=1):
        conn.execute(
            "insert into msg.outbox (outbox_id, idempotency_key, kind, e164, number_hmac, channel, template, body, "
            "status) values (?, ?, 'help', ?, ?, 'sms', 'Reply STOP', 'Reply STOP to opt out.', 'queued')",
            [outbox_id, f"help:1:{outbox_id}", e164, number_hmac(e164, key)])


def claim_all(conn, attempts: tuple[int, int, int] = (0, 0, 0)) -> list[tuple[int, str]]:
    with warehouse.transaction(conn):
        warehouse.run(conn, "messaging/outbox_claim", outbox_ids=[1, 2, 3], attempts=list(attempts),
                      number_hmacs=[number_hmac(e164, hmac_key()) for e164 in NUMBERS], channels=["sms"] * 3,
                      claim_token="t", now=NOW, provider="sandbox")
    return conn.execute("select outbox_id, status from msg.outbox order by outbox_id").fetchall()


def test_a_stop_recorded_after_the_pick_keeps_its_message_out_of_the_claim(conn):
    queue(conn)
    ledger.append(conn, [ledger.Event(NUMBERS[1], "all", "opt_out", NOW - dt.timedelta(minutes=1), "inbound",
                                      "STOP")])
    assert claim_all(conn) == [(1, "claimed"), (2, "queued"), (3, "claimed")]


def test_a_suspension_recorded_after_the_pick_keeps_its_message_out_of_the_claim(conn):
    queue(conn)
    conn.execute("insert into core.number_status_events (number_hmac, action, effective_at, source) "
                 "values (?, 'suspend', ?, 'test')", [number_hmac(NUMBERS[2], hmac_key()), NOW])
    assert claim_all(conn) == [(1, "claimed"), (2, "claimed"), (3, "queued")]


def test_a_message_tried_again_since_the_pick_is_left_for_the_next_pick(conn):
    queue(conn)  # picked with 0 attempts each; then message 1 was claimed, tried and queued again elsewhere
    conn.execute("update msg.outbox set attempts = 1 where outbox_id = 1")
    assert claim_all(conn) == [(1, "queued"), (2, "claimed"), (3, "claimed")]
    assert conn.execute("select outbox_id, attempts, claim_token from msg.outbox where status = 'claimed' "
                        "order by outbox_id").fetchall() == [(2, 1, "t:2"), (3, 1, "t:3")]
