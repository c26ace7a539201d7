"""Must-show: real dag.test() runs from a contact import to the welcome to the confirmation,
sending through the Twilio stand-in on loopback; and the messaging DAGs' shape. (The house
rules every DAG keeps, its writer pool among them, are in test_dag_integrity.py.)"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

from optline import warehouse
from tests.dags import dagrun
from tests.helpers import PEOPLE_HEADER, person, write_csv
from tests.optline.messaging.messaging_setup import (
    DAYTIME,
    assert_no_message_reached_a_suppressed_number,
    twilio_settings,
)
from tests.standins.twilio_server import TwilioStandIn

pytestmark = pytest.mark.airflow

IMPORT_AT = "2026-11-01T12:00:00+00:00"
NUMBERS = ["+17025550131", "+17025550132", "+17025550133", "+17025550134"]


def test_the_messaging_dags_are_thin_and_scheduled():
    welcome = dagrun.load_dag("welcome_messages")
    assert "optline.core.memberships" in str(welcome.timetable.asset_condition)
    assert welcome.task_ids == ["enqueue_welcomes"]
    assert "optline.msg.outbox" in {a.name for a in welcome.get_task("enqueue_welcomes").outlets}
    dispatch = dagrun.load_dag("message_dispatch")
    assert dispatch.schedule == "*/10 * * * *"
    assert [t.task_id for t in dispatch.topological_sort()] == ["apply_delivery_reports", "send_due", "report"]
    assert set(dispatch.params) == {"provider", "as_of"} and "once" in dispatch.doc_md
    confirmations = dagrun.load_dag("web_confirmations")
    assert set(confirmations.task_ids) == {"discover_files", "apply_file"}


def inbound_export(folder: Path, name: str, rows: list[tuple[str, str, str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / name).open("w", newline="") as fh:
        csv.writer(fh).writerows([["From", "Body", "Received At"], *rows])
    (folder / "_manifest.yaml").write_text(yaml.safe_dump({"channel": "sms", "default_country": "US"}))


def run(name: str, **conf) -> str:
    dag_run = dagrun.load_dag(name).test(run_conf=conf or None)
    assert str(dag_run.state) == "success", (name, dagrun.task_states(dag_run))
    RUN_IDS.append(dag_run.run_id)
    return dag_run.run_id


RUN_IDS: list[str] = []


def test_import_to_welcome_to_confirmation_and_the_conversion_report(airflow_db, data_dir, monkeypatch, caplog,
                                                                   capsys):
    import logging

    caplog.set_level(logging.DEBUG)
    people = [person(n, f"Guest{i}", "Lee", state="NV") for i, n in enumerate(NUMBERS, start=1)]
    write_csv(data_dir / "inbox" / "guests.csv", [PEOPLE_HEADER, *people], lists=["Deals"])
    run("contact_import", as_of=IMPORT_AT)
    run("welcome_messages", as_of=IMPORT_AT)

    # the 4th number texts STOP after its welcome was queued: it must never be sent
    inbound_export(data_dir / "inbound", "a_stop.csv", [(NUMBERS[3], "STOP", "2026-11-02 08:00")])
    run("inbound_messages", as_of="2026-11-02T09:00:00+00:00")

    with TwilioStandIn() as twilio:
        s = twilio_settings(twilio.url)
        monkeypatch.setenv("AIRFLOW_CONN_OPTLINE_TWILIO", json.dumps({
            "conn_type": "generic", "login": s["account_sid"], "password": s["auth_token"], "host": twilio.url,
            "extra": {"from_number": s["from_number"], "timeout": 2}}))
        run("message_dispatch", provider="twilio", as_of=DAYTIME.isoformat())
        assert sorted(m["to"] for m in twilio.accepted) == NUMBERS[:3]
        assert all("Reply YES" in m["body"] and "Guest" in m["body"] for m in twilio.accepted)

        # replies: YES and START confirm; the web page confirms the third
        inbound_export(data_dir / "inbound", "b_replies.csv", [
            (NUMBERS[0], "yes", "2026-11-02 19:30"), (NUMBERS[1], "START", "2026-11-02 19:40")])
        run("inbound_messages", as_of="2026-11-02T20:00:00+00:00")
        folder = data_dir / "confirmations"
        folder.mkdir()
        (folder / "signups.csv").write_text(f"phone,confirmed_at\n{NUMBERS[2]},2026-11-02 19:50\n")
        run("web_confirmations", as_of="2026-11-02T20:00:00+00:00")
        # the provider's status export for the welcomes: two delivered, one undelivered
        (data_dir / "delivery").mkdir()
        statuses = ["delivered", "delivered", "undelivered"]
        (data_dir / "delivery" / "status_export.csv").write_text("MessageSid,MessageStatus,ErrorCode\n" + "".join(
            f"{m['sid']},{status},{'30003' if status == 'undelivered' else ''}\n"
            for m, status in zip(twilio.accepted, statuses)))
        run("message_dispatch", provider="twilio", as_of=(DAYTIME + dt.timedelta(hours=1)).isoformat())
        assert NUMBERS[3] not in {r["to"] for r in twilio.received}  # the suppressed number, never
        assert len(twilio.received) == 3  # confirmations send nothing more, and nothing went twice
        received = twilio.received

    with warehouse.connect(data_dir / "warehouse.duckdb", read_only=True) as conn:
        members = conn.execute("""select c.e164, m.status from core.memberships m join core.contacts c
            using (contact_id) order by c.e164""").fetchall()
        assert members == [(NUMBERS[0], "active"), (NUMBERS[1], "active"), (NUMBERS[2], "active"),
                           (NUMBERS[3], "pending")]
        delivery = conn.execute("""select delivery_status, count(*) from msg.outbox where status = 'sent'
            group by all order by all""").fetchall()
        assert delivery == [("delivered", 2), ("undelivered", 1)]
        methods = conn.execute("select method, keyword from core.confirmations order by confirmed_at").fetchall()
        assert methods == [("reply", "YES"), ("reply", "START"), ("web", None)]
        conversion = conn.execute("""select file_name, imported, messaged, not_messaged, confirmed, conversion_rate
            from marts.import_conversion""").fetchall()
        assert [(*r[:5], float(r[5])) for r in conversion] == [("guests.csv", 4, 3, 1, 3, 0.75)]
        cancelled = conn.execute("select e164, status_reason from msg.outbox where status = 'cancelled'").fetchall()
        assert cancelled == [(NUMBERS[3], "suppressed")]
        assert_no_message_reached_a_suppressed_number(conn, received)

    report = (data_dir / "reports" / "messaging" / "conversion.csv").read_text()
    assert "guests.csv" in report and "0.75" in report
    assert not any(n[2:] in report for n in NUMBERS)

    # no number, no message body and no credential in logs, output or XCom of any of these runs
    import re
    import sqlite3

    out = capsys.readouterr()
    with sqlite3.connect(airflow_db / "airflow.db") as db:
        xcoms = [str(v) for run_id in RUN_IDS for (v,) in db.execute("select value from xcom where run_id = ?",
                                                                     (run_id,))]
    assert xcoms, "expected the runs to pass counts between tasks"
    patterns = [re.compile(r"[\s().+-]{0,3}".join(n[2:])) for n in NUMBERS]
    patterns += [re.compile("would like to send you texts"), re.compile("Guest1"),
                 re.compile(re.escape(s["auth_token"]))]
    for where, text in (("logs", caplog.text), ("stdout", out.out), ("stderr", out.err), ("xcom", "\n".join(xcoms))):
        leaked = [p.pattern for p in patterns if p.search(text)]
        assert not leaked, f"{where} shows a number, a body or the token ({len(leaked)})"



def test_the_demos_sample_data_from_import_to_welcome_to_confirmation(airflow_db, data_dir):
    """The same chain as `make demo`, on the same sample files, with the sandbox provider."""
    from optline import samples
    from optline.consent import confirmations, inbound, optouts

    day = dt.date(2026, 11, 2)
    clock = {"as_of": "2026-11-02T19:00:00+00:00"}
    samples.write_samples(data_dir / "inbox", day)
    optouts.write_samples(data_dir / "optouts", day)
    run("contact_import", as_of="2026-11-02T12:00:00+00:00")
    run("optout_import", **clock)
    run("welcome_messages", **clock)
    run("message_dispatch", provider="sandbox", **clock)
    inbound.write_samples(data_dir / "inbound", day)
    run("inbound_messages", **clock)
    confirmations.write_samples(data_dir / "confirmations", day, ["+17025550119", "+13055550112"])
    run("web_confirmations", **clock)
    run("message_dispatch", provider="sandbox", **clock)

    with warehouse.connect(data_dir / "warehouse.duckdb", read_only=True) as conn:
        conversion = conn.execute("""select file_name, imported, waiting, messaged, not_messaged, confirmed
            from marts.import_conversion""").fetchall()
        # 10 numbers x 2 lists; the opt-out file suppressed 3 of them before their welcomes went
        assert conversion == [("store_events.xlsx", 20, 0, 14, 6, 6)]
        confirmed = conn.execute("""select method, count(*) from core.confirmations group by all
            order by all""").fetchall()
        assert confirmed == [("reply", 2), ("web", 4)]  # START from one number, web for two (both lists)
        outbox = conn.execute("select kind, status, count(*) from msg.outbox group by all order by all").fetchall()
        assert outbox == [("help", "sent", 1), ("welcome", "cancelled", 6), ("welcome", "sent", 15)]
    sent = [json.loads(line) for line in (data_dir / "sandbox" / "messages.jsonl").read_text().splitlines()]
    assert len(sent) == 16 and len({m["idempotency_key"] for m in sent}) == 16
