"""Reviewers are told: real dag.test() runs send e-mail (Airflow's SmtpNotifier to a real SMTP
server, aiosmtpd, on 127.0.0.1) and webhook JSON (a loopback receiver built on the tests'
stand-in server) when the gate holds or rejects a batch and when inbound opt-outs were applied
near or beyond the 10-business-day limit; no number is ever in a message; a channel that is
down never fails the import; nothing configured means nothing sent, logged once."""

from __future__ import annotations

import csv
import datetime as dt
import email
import html
import json
import logging
import re
import socket
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiosmtpd.controller import Controller

from optline import warehouse
from optline.consent import inbound
from optline.reports import notices
from tests.dags import dagrun
from tests.helpers import write_csv
from tests.standins import LoopbackServer, StandInHandler

pytestmark = pytest.mark.airflow

AS_OF = "2026-11-01T12:00:00+00:00"
HEADER = ["phone", "first_name", "dob", "opt_in"]
TOKEN = "notify-token-0123456789"
PHONE_LIKE = re.compile(r"\d[\d\s().-]{6,}\d")  # 8+ digits with separators: a phone number's shape


# --- loopback receivers ----------------------------------------------------------------------

class _Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _NoticeHandler(StandInHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.read_body()
        self.owner.received.append({"path": self.path, "authorization": self.headers.get("Authorization"),
                                    "json": json.loads(body or b"null")})
        if self.owner.fail:
            self.send_json(500, {"error": "down"})
        else:
            self.send_json(200, {"ok": True})


class NoticeReceiver(LoopbackServer):
    """Records every POST (path, Authorization, JSON); answers 200, or 500 when `fail`."""

    handler_class = _NoticeHandler

    def __init__(self, fail: bool = False) -> None:
        super().__init__()
        self.received: list[dict[str, Any]] = []
        self.fail = fail


@pytest.fixture
def smtp():
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def configure(tmp_path: Path, monkeypatch, smtp_port: int, webhook_url: str) -> None:
    settings = {
        "events": list(notices.EVENTS),
        "near_limit_business_days": 8,
        "email": {"to": ["compliance@example.org"], "smtp_conn_id": "optline_smtp"},
        "webhook": {"url": webhook_url, "conn_id": "optline_notify_webhook", "timeout_s": 5},
    }
    path = tmp_path / "notifications.yaml"
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    monkeypatch.setenv("OPTLINE_NOTIFICATIONS_CONFIG", str(path))
    monkeypatch.setenv("AIRFLOW_CONN_OPTLINE_SMTP", json.dumps({
        "conn_type": "smtp", "host": "127.0.0.1", "port": smtp_port,
        "extra": {"disable_ssl": True, "disable_tls": True, "from_email": "optline@example.org", "timeout": 5}}))
    monkeypatch.setenv("AIRFLOW_CONN_OPTLINE_NOTIFY_WEBHOOK", json.dumps({"conn_type": "http", "password": TOKEN}))


def html_text(message: email.message.Message) -> str:
    parts = [p for p in message.walk() if p.get_content_type() == "text/html"]
    raw = parts[0].get_payload(decode=True).decode(parts[0].get_content_charset() or "utf-8")
    return html.unescape(re.sub(r"<[^>]+>", "\n", raw))


def write_imports(data_dir: Path) -> None:
    """held.csv (18 % rejected: held for review), bad.csv (no opt-in: rejected), pass.csv."""
    good = [[f"(415) 555-{n:04d}", f"Held{n}", "1990-01-02", "2026-10-01"] for n in range(100, 109)]
    write_csv(data_dir / "inbox" / "held.csv", [HEADER, *good, *[["555-0100", "X", "1990-01-02", "2026-10-01"]] * 2],
              policy_overrides={})
    no_opt_in = [[f"(415) 555-{n:04d}", f"Bad{n}", "1990-01-02", ""] for n in range(200, 210)]
    write_csv(data_dir / "inbox" / "bad.csv", [HEADER, *no_opt_in], policy_overrides={})
    write_csv(data_dir / "inbox" / "pass.csv",
              [HEADER, *[[f"(415) 555-{n:04d}", f"Pass{n}", "1990-01-02", "2026-10-01"] for n in range(1, 11)]],
              policy_overrides={})


def batch_ids(data_dir: Path) -> dict[str, int]:
    with warehouse.connect(data_dir / "warehouse.duckdb", read_only=True) as conn:
        return dict(conn.execute("select file_name, batch_id from ops.batches").fetchall())


# --- the tests -------------------------------------------------------------------------------

def test_a_held_and_a_rejected_batch_are_told_by_email_and_webhook_without_a_number(
        airflow_db, data_dir, tmp_path, monkeypatch, smtp):
    controller, inbox = smtp
    with NoticeReceiver() as hook:
        configure(tmp_path, monkeypatch, controller.port, hook.url + "/optline")
        write_imports(data_dir)
        dag_run = dagrun.load_dag("contact_import").test(run_conf={"as_of": AS_OF})
        received = hook.received
    assert str(dag_run.state) == "success"
    ids = batch_ids(data_dir)

    by_event = {r["json"]["event"]: r for r in received}
    assert sorted(by_event) == ["batch_held", "batch_rejected"]  # pass.csv merged: nobody is told
    held = by_event["batch_held"]
    assert held["path"] == "/optline" and held["authorization"] == f"Bearer {TOKEN}"
    assert {k: held["json"][k] for k in ("batch_id", "file_name", "status", "lines_read", "rows_loaded",
                                         "rows_rejected")} == {
        "batch_id": ids["held.csv"], "file_name": "held.csv", "status": "awaiting_review", "lines_read": 11,
        "rows_loaded": 9, "rows_rejected": 2}
    assert held["json"]["report_url"].endswith(f"/optline/batches/{ids['held.csv']}/report")
    assert held["json"]["reason"]
    rejected = by_event["batch_rejected"]["json"]
    assert (rejected["batch_id"], rejected["status"]) == (ids["bad.csv"], "rejected")
    assert "of the rows without an opt-in timestamp, above the limit of 25.0%" in rejected["reason"]

    assert {m["Subject"] for m in inbox.messages} == {
        f"Optline: import batch {ids['held.csv']} (held.csv) held for review",
        f"Optline: import batch {ids['bad.csv']} (bad.csv) rejected"}
    assert all(to == ["compliance@example.org"] for _, to in inbox.envelopes)
    bodies = {m["Subject"]: html_text(m) for m in inbox.messages}
    held_body = next(b for s, b in bodies.items() if "held.csv" in s)
    assert "Rows read: 11; accepted: 9; rejected: 2." in held_body
    assert f"/optline/batches/{ids['held.csv']}/report" in held_body

    everything = json.dumps([r["json"] for r in received]) + "".join(bodies.values())
    assert PHONE_LIKE.findall(everything) == []
    assert "Held100" not in everything and "Bad200" not in everything  # no names either


def test_opt_outs_applied_beyond_the_limit_are_told_with_counts_and_the_oldest_age_only(
        airflow_db, data_dir, tmp_path, monkeypatch, smtp):
    controller, inbox = smtp
    inbound.write_samples(data_dir / "inbound", dt.date(2026, 11, 1))
    with next((data_dir / "inbound").glob("*.csv")).open(encoding="utf-8") as fh:
        numbers = {re.sub(r"\D", "", row["From"])[-10:] for row in csv.DictReader(fh)}
    assert len(numbers) > 3  # the sample export's senders: none may reach a message
    with NoticeReceiver() as hook:
        configure(tmp_path, monkeypatch, controller.port, hook.url + "/optline")
        dag_run = dagrun.load_dag("inbound_messages").test(run_conf={"as_of": AS_OF})
        received = hook.received
    assert str(dag_run.state) == "success"

    assert [r["json"]["event"] for r in received] == ["opt_outs_near_limit"]
    sent = received[0]["json"]
    assert (sent["opt_outs"], sent["over_limit"], sent["limit_business_days"]) == (2, 1, 10)
    assert sent["oldest_business_days"] > 10
    assert len(inbox.messages) == 1
    body = html_text(inbox.messages[0])
    assert "1 applied beyond 10 business days" in body
    assert f"Oldest: {sent['oldest_business_days']} business day(s)" in body
    everything = json.dumps(sent) + body + inbox.messages[0]["Subject"]
    assert [n for n in numbers if n in re.sub(r"\D", "", everything)] == []
    assert PHONE_LIKE.findall(everything) == []


def test_undecided_possible_revocations_past_the_limit_are_told_once_with_counts_only(
        airflow_db, data_dir, tmp_path, monkeypatch, smtp):
    """A text that may revoke consent, received weeks ago and never decided: every inbound run
    checks the clock, and the reviewers are told once per message and level, never the number."""
    controller, inbox = smtp
    folder = data_dir / "inbound"
    folder.mkdir(parents=True)
    received = (dt.datetime.now(dt.UTC) - dt.timedelta(days=30)).strftime("%Y-%m-%d %H:%M:%S")
    (folder / "doubtful.csv").write_text(
        f"From,To,Body,Received At\n+1 415 555 0177,+1 415 555 0199,not interested,{received}\n", encoding="utf-8")
    (folder / "doubtful.manifest.yaml").write_text(yaml.safe_dump({"channel": "sms"}), encoding="utf-8")
    with NoticeReceiver() as hook:
        configure(tmp_path, monkeypatch, controller.port, hook.url + "/optline")
        first = dagrun.load_dag("inbound_messages").test()
        second = dagrun.load_dag("inbound_messages").test()
        received_posts = hook.received
    assert str(first.state) == "success" and str(second.state) == "success"
    assert [r["json"]["event"] for r in received_posts] == ["revocations_near_limit"]  # once, not per run
    sent = received_posts[0]["json"]
    assert (sent["waiting"], sent["over_limit"], sent["limit_business_days"]) == (1, 1, 10)
    assert sent["oldest_business_days"] > 10
    assert len(inbox.messages) == 1 and "optline revocations" in html_text(inbox.messages[0])
    everything = json.dumps(sent) + html_text(inbox.messages[0]) + inbox.messages[0]["Subject"]
    assert "5550177" not in re.sub(r"\D", "", everything) and "interested" not in everything
    with warehouse.connect(data_dir / "warehouse.duckdb", read_only=True) as conn:
        assert conn.execute("select clock from ops.revocation_reminders").fetchall() == [("over_limit",)]


def test_a_mail_server_and_webhook_that_are_down_do_not_fail_the_import(
        airflow_db, data_dir, tmp_path, monkeypatch, caplog):
    with NoticeReceiver(fail=True) as hook:
        configure(tmp_path, monkeypatch, _free_port(), hook.url + "/optline")  # nothing listens on the SMTP port
        write_imports(data_dir)
        with caplog.at_level(logging.WARNING, logger="optline.tasks.notify"):
            dag_run = dagrun.load_dag("contact_import").test(run_conf={"as_of": AS_OF})
        posted = len(hook.received)
    assert str(dag_run.state) == "success"
    with warehouse.connect(data_dir / "warehouse.duckdb", read_only=True) as conn:
        statuses = dict(conn.execute("select file_name, status from ops.batches").fetchall())
    assert statuses == {"held.csv": "awaiting_review", "bad.csv": "rejected", "pass.csv": "merged"}
    assert posted == 2  # both were tried
    failures = [r.getMessage() for r in caplog.records if "not sent" in r.getMessage()]
    assert len(failures) == 4, failures  # 2 events x (email, webhook)
    assert any("HTTP 500" in f for f in failures)


def test_nothing_configured_sends_nothing_and_says_so_once(monkeypatch, tmp_path, caplog):
    from optline.tasks import notify

    monkeypatch.setattr(notify, "_told_unconfigured", False)
    empty = tmp_path / "notifications.yaml"
    empty.write_text("events: []\n", encoding="utf-8")
    monkeypatch.setenv("OPTLINE_NOTIFICATIONS_CONFIG", str(empty))
    notice = notices.batch_notice("batch_held", batch_id=1, file_name="a.csv", lines_read=1, rows_loaded=1,
                                  rows_rejected=0, reason=None, report_url="/optline/batches/1/report")
    with caplog.at_level(logging.INFO, logger="optline.tasks.notify"):
        assert notify.tell(notice, {}) == []
        assert notify.tell(notice, {}) == []
    said = [r.getMessage() for r in caplog.records if "no notifications configured" in r.getMessage()]
    assert len(said) == 1
    assert notices.load_settings(Path(notices.config.PROJECT_DIR / "config" / "notifications.yaml")).configured is False
