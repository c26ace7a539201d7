"""Welcome templates allow only the documented placeholders, plain, and a bounded body."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from optline.config import ConfigError
from optline.messaging import outbox
from optline.messaging.settings import MAX_BODY_CHARS, WelcomeSettings, load_config, parse_config
from tests.helpers import import_people, person

AS_OF = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
HOSTILE = {
    "nested spec with attribute access": "Hi {list:{first_name.__class__}}",
    "a huge padding spec": "Hi {first_name:>999999999}",
}


def write_config(tmp_path, welcome: dict):
    path = tmp_path / "messaging.yaml"
    path.write_text(yaml.safe_dump({"welcome": welcome}), encoding="utf-8")
    return path


@pytest.mark.parametrize("template", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_default_template_is_refused_at_load_naming_file_key_and_placeholder(tmp_path, template):
    path = write_config(tmp_path, {"template": template})
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert str(path) in message and "`welcome.template`" in message
    assert template[3:] in message  # the placeholder as written


@pytest.mark.parametrize("template", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_per_list_template_is_refused_at_load(tmp_path, template):
    path = write_config(tmp_path, {"lists": {"VIP": template}})
    with pytest.raises(ConfigError, match=r"`welcome\.lists\.VIP`") as err:
        load_config(path)
    assert template[3:] in str(err.value)


@pytest.mark.parametrize("template", ["{first_name!r}", "{list[0]}", "{confirm_keyword:5}", "{0}", "{}"])
def test_conversions_indexes_specs_and_positional_fields_are_refused(template):
    with pytest.raises(ConfigError, match="welcome.template"):
        parse_config({"welcome": {"template": f"Hi {template}"}})


@pytest.mark.parametrize("template", HOSTILE.values(), ids=HOSTILE.keys())
def test_settings_built_in_code_refuse_a_hostile_template_too(template):
    with pytest.raises(ConfigError):
        WelcomeSettings(template=template)


def test_a_template_whose_longest_body_is_over_the_bound_is_refused_at_load(tmp_path):
    path = write_config(tmp_path, {"template": "Hi {first_name}! " + "x" * MAX_BODY_CHARS})
    with pytest.raises(ConfigError, match=f"{MAX_BODY_CHARS}") as err:
        load_config(path)
    assert "`welcome.template`" in str(err.value)


def test_a_documented_template_still_renders_with_literal_braces():
    config = parse_config({"welcome": {
        "template": "Hi {first_name}, {list} {{news}}: reply {confirm_keyword}.",
        "lists": {"VIP": "VIP {first_name}"}}})
    welcome = config.welcome
    assert welcome.render(welcome.template_for("Main"), first_name=" Ann ", list_name="Main") == \
        "Hi Ann, Main {news}: reply YES."
    assert welcome.render(welcome.template_for("vip"), first_name=None, list_name="VIP") == "VIP there"


def test_a_rendered_body_is_bounded_and_a_long_first_name_falls_back(conn, tmp_path):
    welcome = WelcomeSettings()
    body = welcome.render(welcome.template, first_name="A" * 10_000, list_name="Main")
    assert body.startswith("Hi there,") and len(body) <= MAX_BODY_CHARS
    long_list = "L" * (MAX_BODY_CHARS + 1)
    with pytest.raises(ValueError, match="longer than"):
        welcome.render(welcome.template, first_name="Ann", list_name=long_list)
    # In the outbox: the over-long welcome is refused (not queued, counted), the others queued.
    import_people(conn, tmp_path, "a.csv", [person("(415) 555-0101", "Ann")], as_of=AS_OF,
                  lists=["Main", long_list])
    result = outbox.enqueue_welcomes(conn, welcome, AS_OF)
    assert result.queued == 1 and result.refused == {long_list: 1}
    bodies = [r[0] for r in conn.execute("select body from msg.outbox").fetchall()]
    assert len(bodies) == 1 and all(len(b) <= MAX_BODY_CHARS for b in bodies)
