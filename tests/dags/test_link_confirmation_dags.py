"""Must-show (issue 15, opt-in links): real dag.test() runs from a pending import to a welcome
carrying its confirmation link (welcome_messages), sent by the sandbox provider
(message_dispatch), to the sign-up site's export of confirmed tokens (web_confirmations): the
link confirms, a forged one is rejected with its reason, the conversion counts the link, and no
token or number is in the logs or XCom."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sqlite3

import pytest
import yaml

from optline import warehouse
from optline.messaging import links, outbox
from tests.dags import dagrun
from tests.helpers import import_people, person

pytestmark = pytest.mark.airflow

IMPORTED_AT = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
DAYTIME = "2026-11-02T19:00:00+00:00"  # 11:00 in Las Vegas
NUMBERS = ["+17025550141", "+17025550142"]
BASE = "https://signup.example.org/c/"


def test_a_welcome_carries_its_link_and_the_sites_export_of_the_token_confirms_by_link(
        airflow_db, data_dir, monkeypatch, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    config = data_dir / "messaging.yaml"
    config.write_text(yaml.safe_dump({"provider": "sandbox", "welcome": {
        "template": "Hi {first_name}! Confirm {list}: {confirm_url} (or reply {confirm_keyword}). STOP to opt out.",
        "confirm_base_url": BASE, "link_ttl_days": 7}}), encoding="utf-8")
    monkeypatch.setenv("OPTLINE_MESSAGING_CONFIG", str(config))
    monkeypatch.setenv("OPTLINE_LINK_KEY", "dag-link-key-" + "0123456789abcdef" * 2)
    with warehouse.connect(data_dir / "warehouse.duckdb") as conn:
        import_people(conn, data_dir / "inbox", "guests.csv",
                      [person(n, f"Guest{i}", state="NV") for i, n in enumerate(NUMBERS, start=1)],
                      as_of=IMPORTED_AT, lists=["Deals"])
    run_ids = [run("welcome_messages", as_of=IMPORTED_AT.isoformat()),
               run("message_dispatch", provider="sandbox", as_of=DAYTIME)]

    sent = [json.loads(line) for line in (data_dir / "sandbox" / "messages.jsonl").read_text().splitlines()]
    assert sorted(m["to"] for m in sent) == NUMBERS
    tokens = {m["to"]: links.token_in(m["body"], BASE) for m in sent}
    assert all(tokens.values()) and len(set(tokens.values())) == 2  # a link per recipient
    for m in sent:
        assert m["body"].startswith("Hi Guest") and f"{BASE}{tokens[m['to']]} (or reply YES)" in m["body"]
        assert m["to"][2:] not in m["body"]  # no number in the link

    forged = tokens[NUMBERS[1]][:-1] + ("A" if tokens[NUMBERS[1]][-1] != "A" else "B")
    folder = data_dir / "confirmations"
    folder.mkdir()
    (folder / "signups.csv").write_text(f"token,confirmed_at\n{tokens[NUMBERS[0]]},2026-11-02 19:30\n"
                                        f"{forged},2026-11-02 19:35\n", encoding="utf-8")
    run_ids.append(run("web_confirmations", as_of="2026-11-02T20:00:00+00:00"))

    with warehouse.connect(data_dir / "warehouse.duckdb", read_only=True) as conn:
        members = conn.execute("""select c.e164, m.status from core.memberships m join core.contacts c
            using (contact_id) order by c.e164""").fetchall()
        assert members == [(NUMBERS[0], "active"), (NUMBERS[1], "pending")]
        assert conn.execute("select method from core.confirmations").fetchall() == [("link",)]
        assert conn.execute("""select row_number, outcome, reason from staging.web_confirmations
            order by row_number""").fetchall() == [(1, "confirmed", None), (2, "invalid", "token_invalid_signature")]
        [row] = outbox.conversion(conn)
        assert (row["imported"], row["messaged"], row["confirmed"], row["confirmed_by_link"]) == (2, 2, 1, 1)

    # no token, no number and no body in the logs, the output or XCom of these runs
    assert "queued 2 welcome(s)" in caplog.text  # the task logs are read
    out = capsys.readouterr()
    with sqlite3.connect(airflow_db / "airflow.db") as db:
        xcoms = [str(v) for run_id in run_ids
                 for (v,) in db.execute("select value from xcom where run_id = ?", (run_id,))]
    assert xcoms, "expected the runs to pass counts between tasks"
    secrets = [re.escape(t) for t in (*tokens.values(), forged)] + [re.escape(t[:12]) for t in tokens.values()]
    secrets += [r"[\s().+-]{0,3}".join(n[2:]) for n in NUMBERS] + ["Confirm Deals", re.escape(BASE)]
    for where, text in (("logs", caplog.text), ("stdout", out.out), ("stderr", out.err), ("xcom", "\n".join(xcoms))):
        leaked = [p for p in secrets if re.search(p, text)]
        assert not leaked, f"{where} shows a token, a number or a body ({len(leaked)})"


def run(name: str, **conf) -> str:
    dag_run = dagrun.load_dag(name).test(run_conf=conf or None)
    assert str(dag_run.state) == "success", (name, dagrun.task_states(dag_run))
    return dag_run.run_id
