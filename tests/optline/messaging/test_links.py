"""Confirmation links: a signed, expiring token per welcome, no number in it; `{confirm_url}` in
the welcome templates, its settings, and the welcomes queued with a link."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest

from optline.config import ConfigError, link_key
from optline.messaging import links, outbox
from optline.messaging.settings import MAX_BODY_CHARS, WelcomeSettings, parse_config
from tests.helpers import import_people, person

AS_OF = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
KEY = b"link-test-key-" + b"0123456789abcdef" * 2
BASE = "https://example.org/c/"
LINKED = WelcomeSettings(template="Hi {first_name}, confirm {list}: {confirm_url} or reply {confirm_keyword}.",
                         confirm_base_url=BASE, link_ttl_days=7)
_TOKEN = re.compile(rf"[A-Za-z0-9_-]{{{links.TOKEN_CHARS}}}")


@pytest.fixture
def link_env(monkeypatch):
    monkeypatch.setenv("OPTLINE_LINK_KEY", KEY.decode())


def test_a_token_is_url_safe_and_reads_back_its_link_id_and_expiry_under_the_key():
    expires = AS_OF + dt.timedelta(days=7, microseconds=123)
    link = links.issue(KEY, expires)
    assert _TOKEN.fullmatch(link.token) and len(link.link_id) == links.LINK_ID_CHARS
    assert links.check(KEY, link.token) == links.Checked(link.link_id, expires.replace(microsecond=0), None)
    assert link.token not in repr(link)  # a bearer credential: never in a repr, a log line
    assert links.issue(KEY, expires).link_id != link.link_id  # random per link, not derived from anything


@pytest.mark.parametrize("spoil", [
    pytest.param(lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"), id="one character changed"),
    pytest.param(lambda t: t[:-2], id="truncated"),
    pytest.param(lambda t: t + "x", id="too long"),
    pytest.param(lambda t: "~" + t[1:], id="not base64url"),
    pytest.param(lambda t: "é" + t[1:], id="not ascii"),
    pytest.param(lambda t: links.issue(b"another-deployments-key-0123456789", AS_OF).token, id="another key"),
])
def test_a_forged_garbled_or_foreign_token_reads_as_an_invalid_signature(spoil):
    token = links.issue(KEY, AS_OF).token
    assert links.check(KEY, spoil(token)) == links.Checked(None, None, links.INVALID_SIGNATURE)


def test_a_template_with_confirm_url_but_no_base_url_is_a_config_error_naming_the_key():
    with pytest.raises(ConfigError, match=r"welcome\.template.*\{confirm_url\}.*welcome\.confirm_base_url"):
        parse_config({"welcome": {"template": "Join {list}: {confirm_url}"}}, "messaging.yaml")
    with pytest.raises(ConfigError, match=r"welcome\.lists\.VIP.*welcome\.confirm_base_url"):
        parse_config({"welcome": {"lists": {"VIP": "VIP: {confirm_url}"}}}, "messaging.yaml")
    # without the placeholder nothing changes: no base URL, no key needed
    config = parse_config({"welcome": {"template": "Join {list}? Reply {confirm_keyword}."}}, "messaging.yaml")
    assert not config.welcome.uses_links()


@pytest.mark.parametrize("welcome,key", [
    ({"confirm_base_url": "ftp://example.org/c/"}, "welcome.confirm_base_url"),
    ({"confirm_base_url": "https://example.org/c/{x}"}, "welcome.confirm_base_url"),
    ({"confirm_base_url": "https:///c/"}, "welcome.confirm_base_url"),
    ({"confirm_base_url": "https://example.org/c#t="}, "welcome.confirm_base_url"),
    ({"link_ttl_days": 0}, "welcome.link_ttl_days"),
    ({"link_ttl_days": 365}, "welcome.link_ttl_days"),
    ({"link_ttl_days": "7"}, "welcome.link_ttl_days"),
])
def test_a_bad_base_url_or_link_lifetime_is_refused_naming_the_key(welcome, key):
    with pytest.raises(ConfigError, match=re.escape(f"`{key}`")):
        parse_config({"welcome": {"template": "Join: {confirm_url}", "confirm_base_url": BASE, **welcome}},
                     "messaging.yaml")


def test_the_length_bound_counts_the_link_at_its_full_length():
    filler = "x" * (MAX_BODY_CHARS - links.TOKEN_CHARS - len(BASE))
    assert parse_config({"welcome": {"template": filler + "{confirm_url}", "confirm_base_url": BASE}})
    with pytest.raises(ConfigError, match=r"link 66\b.*over the 640"):
        parse_config({"welcome": {"template": filler + "!{confirm_url}", "confirm_base_url": BASE}})


def test_each_queued_welcome_carries_its_own_link_stored_by_id_and_expiry_never_the_number(
        conn, tmp_path, link_env, caplog):
    caplog.set_level(logging.DEBUG)
    import_people(conn, tmp_path, "a.csv", [person("(415) 555-0101", "Ann"), person("(415) 555-0102")],
                  as_of=AS_OF, lists=["Main", "VIP"])
    result = outbox.enqueue_welcomes(conn, LINKED, AS_OF)
    assert result.queued == 4
    rows = conn.execute("""select e164, number_hmac, body, link_id, link_expires_at from msg.outbox
        order by outbox_id""").fetchall()
    tokens = [links.token_in(body, BASE) for _, _, body, _, _ in rows]
    assert all(tokens) and len(set(tokens)) == 4  # one link per list x number
    for (e164, hmac_, body, link_id, expires_at), token in zip(rows, tokens):
        assert body.startswith("Hi ") and f"{BASE}{token} or reply YES." in body
        assert links.check(link_key(), token) == links.Checked(link_id, AS_OF + dt.timedelta(days=7), None)
        assert expires_at == AS_OF + dt.timedelta(days=7)
        assert e164[2:] not in token and e164[-4:] not in body.split(BASE)[1] and hmac_ not in body
        assert token not in caplog.text
    assert "5550" not in caplog.text

    # queued once: a second run queues nothing and every stored body (the text to be sent) stays as it was
    assert outbox.enqueue_welcomes(conn, LINKED, AS_OF + dt.timedelta(hours=1)).queued == 0
    assert [r[2] for r in conn.execute("select e164, number_hmac, body from msg.outbox order by outbox_id")
            .fetchall()] == [r[2] for r in rows]


def test_a_template_without_confirm_url_needs_no_link_key_and_queues_no_link(conn, tmp_path, monkeypatch):
    monkeypatch.delenv("OPTLINE_LINK_KEY", raising=False)
    monkeypatch.setenv("OPTLINE_LINK_KEY_FILE", str(tmp_path / "absent.key"))
    import_people(conn, tmp_path, "a.csv", [person("(415) 555-0101", "Ann")], as_of=AS_OF)
    plain = WelcomeSettings(template="Hi {first_name}, reply {confirm_keyword} to join {list}.")
    assert outbox.enqueue_welcomes(conn, plain, AS_OF).queued == 1
    assert conn.execute("select body, link_id, link_expires_at from msg.outbox").fetchall() == [
        ("Hi Ann, reply YES to join Main.", None, None)]


def test_a_link_template_without_a_link_key_fails_naming_the_variable_and_queues_nothing(conn, tmp_path,
                                                                                      monkeypatch):
    monkeypatch.delenv("OPTLINE_LINK_KEY", raising=False)
    monkeypatch.setenv("OPTLINE_LINK_KEY_FILE", str(tmp_path / "absent.key"))
    import_people(conn, tmp_path, "a.csv", [person("(415) 555-0101", "Ann")], as_of=AS_OF)
    with pytest.raises(ConfigError, match="OPTLINE_LINK_KEY"):
        outbox.enqueue_welcomes(conn, LINKED, AS_OF)
    assert conn.execute("select count(*) from msg.outbox").fetchone() == (0,)
