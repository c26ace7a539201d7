"""The sandbox provider: one fsync'd JSON line per accepted message, found again by lookup."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest

from optline.messaging.providers import LookupOutcome, SandboxProvider, sandbox_message_id
from tests.optline.messaging.providers.provider_setup import BODY, TO, message

pytestmark = pytest.mark.timeout(30)


def test_sandbox_appends_one_fsynced_json_line_per_message(tmp_path, monkeypatch):
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    sandbox = SandboxProvider(tmp_path / "sandbox")
    first, second = message(key="key-1"), message("Second text", key="key-2", channel="whatsapp")

    outcomes = [sandbox.send(first), sandbox.send(second)]

    assert [o.status for o in outcomes] == ["accepted", "accepted"]
    assert outcomes[0].provider_message_id == sandbox_message_id("key-1")
    assert sandbox_message_id("key-1").startswith("SB") and len(sandbox_message_id("key-1")) == 34
    lines = (tmp_path / "sandbox" / "messages.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [(r["idempotency_key"], r["to"], r["channel"], r["body"], r["id"]) for r in records] == [
        ("key-1", TO, "sms", BODY, sandbox_message_id("key-1")),
        ("key-2", TO, "whatsapp", "Second text", sandbox_message_id("key-2"))]
    assert all(dt.datetime.fromisoformat(r["sent_at"]).tzinfo is not None for r in records)
    assert len(synced) >= 2  # the file on every send (and the folder once)
    assert oct((tmp_path / "sandbox" / "messages.jsonl").stat().st_mode & 0o777) == "0o600"


def test_sandbox_lookup_finds_a_sent_key_and_not_an_unsent_one(tmp_path):
    sandbox = SandboxProvider(tmp_path)
    assert sandbox.lookup(message(key="never"), known_ids=[]) == LookupOutcome("not_found")  # no file yet
    sent = message(key="sent")
    sandbox.send(sent)

    assert sandbox.lookup(sent, known_ids=[]) == LookupOutcome("found", sandbox_message_id("sent"), "recorded")
    assert sandbox.lookup(message(key="never"), known_ids=[]).status == "not_found"


def test_sandbox_keeps_lines_whole_after_a_torn_write(tmp_path):
    sandbox = SandboxProvider(tmp_path)
    sandbox.send(message(key="before"))
    with sandbox.path.open("ab") as handle:
        handle.write(b'{"idempotency_key": "torn", "to"')  # a crash mid-line

    sandbox.send(message(key="after"))

    assert sandbox.lookup(message(key="after"), known_ids=[]).status == "found"
    assert sandbox.lookup(message(key="torn"), known_ids=[]).status == "not_found"
    assert sandbox.path.read_bytes().endswith(b"\n")
