"""Welcomes queued once per list and number for pending members; the conversion report."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from optline.config import ConfigError
from optline.messaging import outbox
from optline.messaging.settings import WelcomeSettings, parse_config
from tests.helpers import import_people, person

AS_OF = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
WELCOME = WelcomeSettings(template="Hi {first_name}, join {list}? Reply {confirm_keyword}.",
                          lists={"vip": "VIP {first_name}: reply {confirm_keyword} to {list}."})


def queued(conn) -> list[tuple]:
    return conn.execute("""select l.name, o.e164, o.kind, o.status, o.body, o.batch_id
        from msg.outbox o join core.lists l using (list_id) order by l.name, o.e164""").fetchall()


def test_every_pending_number_gets_one_personalized_welcome_per_list(conn, tmp_path):
    batch = import_people(conn, tmp_path, "a.csv", [
        person("(415) 555-0101", "Ann", "Lee"), person("(415) 555-0102"),
        person("(415) 555-0101", "Bea", "Lee"),  # another contact at Ann's number: still one welcome
    ], as_of=AS_OF, lists=["Main", "VIP"]).batch_id
    result = outbox.enqueue_welcomes(conn, WELCOME, AS_OF)
    assert result.queued == 4 and result.by_list == {"Main": 2, "VIP": 2}
    assert queued(conn) == [
        ("Main", "+14155550101", "welcome", "queued", "Hi Ann, join Main? Reply YES.", batch),
        ("Main", "+14155550102", "welcome", "queued", "Hi there, join Main? Reply YES.", batch),
        ("VIP", "+14155550101", "welcome", "queued", "VIP Ann: reply YES to VIP.", batch),
        ("VIP", "+14155550102", "welcome", "queued", "VIP there: reply YES to VIP.", batch),
    ]


def test_queueing_again_or_importing_the_number_again_queues_nothing_new(conn, tmp_path):
    import_people(conn, tmp_path, "a.csv", [person("(415) 555-0101", "Ann")], as_of=AS_OF)
    outbox.enqueue_welcomes(conn, WELCOME, AS_OF)
    import_people(conn, tmp_path, "b.csv", [person("+1 415 555 0101", "Ann"), person("(415) 555-0103", "Cy")],
                  as_of=AS_OF)
    second = outbox.enqueue_welcomes(conn, WELCOME, AS_OF)
    assert second.queued == 1
    assert outbox.enqueue_welcomes(conn, WELCOME, AS_OF).queued == 0
    assert [r[1] for r in queued(conn)] == ["+14155550101", "+14155550103"]


def test_a_confirmed_member_gets_no_welcome(conn, tmp_path):
    import_people(conn, tmp_path, "a.csv", [person("(415) 555-0101", "Ann")], as_of=AS_OF)
    conn.execute("update core.memberships set status = 'active'")
    assert outbox.enqueue_welcomes(conn, WELCOME, AS_OF).queued == 0


def test_the_conversion_report_counts_imported_messaged_and_confirmed_per_import(conn, tmp_path):
    first = import_people(conn, tmp_path, "a.csv", [person(f"(415) 555-01{n:02d}") for n in range(1, 5)],
                          as_of=AS_OF).batch_id
    outbox.enqueue_welcomes(conn, WELCOME, AS_OF)
    conn.execute("update msg.outbox set status = 'sent' where e164 <> '+14155550104'")
    conn.execute("""insert into core.confirmations (list_id, contact_id, channel, number_hmac, confirmed_at, method,
        batch_id, row_number, recorded_at)
        select m.list_id, m.contact_id, m.channel, n.number_hmac, now(), 'web', 99, 1, now()
        from core.memberships m join core.contacts c using (contact_id) join core.phone_numbers n using (e164)
        where c.e164 = '+14155550101'""")
    rows = outbox.conversion(conn)
    assert [(r["batch_id"], r["imported"], r["waiting"], r["messaged"], r["confirmed"]) for r in rows] == [
        (first, 4, 1, 3, 1)]
    assert float(rows[0]["conversion_rate"]) == 0.25
    assert abs(float(rows[0]["confirmed_of_messaged"]) - 1 / 3) < 1e-3
    text = outbox.format_conversion(rows)
    assert "a.csv" in text and "25%" in text and "5550" not in text


@pytest.mark.parametrize("raw,key", [
    ({"provider": "carrier-pigeon"}, "provider"),
    ({"dispatch": {"rate_per_second": 0}}, "dispatch.rate_per_second"),
    ({"dispatch": {"batch_size": 2.5}}, "dispatch.batch_size"),
    ({"welcome": {"template": "Hi {name}"}}, "welcome.template"),
    ({"welcome": {"confirm_keyword": "MAYBE"}}, "welcome.confirm_keyword"),
    ({"welcome": {"lists": {"VIP": "{oops"}}}, "welcome.lists.VIP"),
    ({"sending": {}}, "unknown keys"),
])
def test_a_bad_messaging_config_names_the_key(raw, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        parse_config(raw, "messaging.yaml")


def test_the_shipped_messaging_config_is_valid():
    from optline.messaging.settings import config_path, load_config

    config = load_config(config_path())
    assert config.provider == "sandbox" and config.welcome.confirm_keyword == "YES"


def test_the_plugin_page_shows_the_conversion_report_and_no_number(conn, tmp_path, data_dir):
    from fastapi.testclient import TestClient

    from optline.messaging.outbox import write_conversion_report
    from optline.reports.web import ALLOW_ALL, create_app

    client = TestClient(create_app(data_dir / "reports", auth=ALLOW_ALL))
    assert "No conversion report yet" in client.get("/conversion").text
    assert client.get("/conversion.csv").status_code == 404
    import_people(conn, tmp_path, "guests.csv", [person(f"(415) 555-01{n:02d}") for n in range(1, 4)], as_of=AS_OF)
    outbox.enqueue_welcomes(conn, WELCOME, AS_OF)
    write_conversion_report(conn, data_dir / "reports")
    page = client.get("/conversion").text
    row = next(r for r in re.findall(r"<tr>(.*?)</tr>", page, re.S) if "guests.csv" in r)
    cells = [re.sub(r"<[^>]+>|\s+", " ", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    # imported, waiting (queued, not sent yet), messaged, not messaged, confirmed
    assert cells[1] == "guests.csv" and cells[3:8] == ["3", "3", "0", "0", "0"]
    assert "5550" not in page
    assert client.get("/conversion.csv").text.splitlines()[1].split(",")[1] == "guests.csv"
