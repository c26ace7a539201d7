"""`optline.tasks.settings` (config/airflow_settings.yaml) against the test session's real Airflow
metadata database: pools set to the file's slots, connections made from the environment
variables the file names (never from the file, never printed), skipped naming what is missing."""

from __future__ import annotations

import pytest

from tests.conftest import PROJECT

SECRET = "tok-" + "s3cr3t" * 4


@pytest.fixture
def settings_file(tmp_path, airflow_db):
    """A settings file with the real pool and one test connection; the connection deleted after."""
    from airflow.models.connection import Connection
    from airflow.utils.session import create_session

    path = tmp_path / "airflow_settings.yaml"
    path.write_text("""
pools:
  duckdb_writer: {slots: 1, description: "one writer"}
connections:
  optline_settings_test:
    conn_type: http
    description: "a test webhook"
    schema: https
    from_env: {host: TEST_HOOK_URL, password: TEST_HOOK_TOKEN}
    optional_from_env: {extra: TEST_HOOK_EXTRA}
    unset: "the test says so"
""", encoding="utf-8")
    yield path
    with create_session() as session:
        session.query(Connection).filter(Connection.conn_id == "optline_settings_test").delete()


def stored(conn_id: str):
    from airflow.models.connection import Connection
    from airflow.utils.session import create_session

    with create_session() as session:
        conn = session.query(Connection).filter(Connection.conn_id == conn_id).one_or_none()
        return None if conn is None else (conn.conn_type, conn.host, conn.schema, conn.password, conn.extra_dejson)


def test_a_resized_pool_gets_the_files_slots_back(settings_file):
    from airflow.models.pool import Pool

    from optline.tasks import settings

    Pool.create_or_update_pool("duckdb_writer", 5, "resized by hand", False)
    assert "pool duckdb_writer: 1 slot(s)" in settings.apply(settings_file, env={})
    assert Pool.get_pool("duckdb_writer").slots == 1


def test_a_connection_is_made_from_the_variables_the_file_names_and_its_secret_is_never_printed(settings_file):
    from optline.tasks import settings

    env = {"TEST_HOOK_URL": "https://hooks.example.com/sms", "TEST_HOOK_TOKEN": SECRET,
           "TEST_HOOK_EXTRA": '{"timeout": 5}'}
    lines = settings.apply(settings_file, env=env)
    assert "connection optline_settings_test: set (host from TEST_HOOK_URL, password from TEST_HOOK_TOKEN, " \
           "extra from TEST_HOOK_EXTRA)" in lines
    assert not [line for line in lines if SECRET in line or "hooks.example.com" in line]
    assert stored("optline_settings_test") == ("http", "https://hooks.example.com/sms", "https", SECRET,
                                               {"timeout": 5})
    # applied again with a new token: updated in place, one connection
    settings.apply(settings_file, env={**env, "TEST_HOOK_TOKEN": "rotated"})
    assert stored("optline_settings_test")[3] == "rotated"


def test_a_connection_missing_a_variable_is_skipped_naming_it_and_one_in_the_environment_is_left_to_airflow(
        settings_file):
    from optline.tasks import settings

    lines = settings.apply(settings_file, env={"TEST_HOOK_URL": "https://hooks.example.com/sms"})
    assert ("connection optline_settings_test: not set: the test says so (to set it: "
            "AIRFLOW_CONN_OPTLINE_SETTINGS_TEST, or TEST_HOOK_TOKEN)") in lines
    assert stored("optline_settings_test") is None
    given = settings.apply(settings_file, env={"AIRFLOW_CONN_OPTLINE_SETTINGS_TEST": '{"conn_type": "http"}',
                                               "TEST_HOOK_URL": "https://x.example", "TEST_HOOK_TOKEN": SECRET})
    assert "connection optline_settings_test: from the environment (AIRFLOW_CONN_OPTLINE_SETTINGS_TEST)" in given
    assert stored("optline_settings_test") is None


def test_every_connection_id_optline_uses_is_declared_in_the_settings_file_without_a_secret():
    import yaml

    from optline.messaging.providers import config as providers
    from optline.reports.notices import EmailSettings
    from optline.tasks import settings
    from optline.tasks.common import WAREHOUSE_CONN_ID

    declared = {c.conn_id: c for c in settings.load().connections}
    used = {WAREHOUSE_CONN_ID, *providers._CONNECTION_IDS.values(), EmailSettings(to=["x@example.org"]).smtp_conn_id}
    assert used <= set(declared), sorted(used - set(declared))
    raw = yaml.safe_load((PROJECT / "config" / "airflow_settings.yaml").read_text(encoding="utf-8"))
    assert not [(c, k) for c, spec in raw["connections"].items() for k in ("login", "password", "extra") if k in spec]


@pytest.mark.parametrize("key", ["passwrd", "password"])
def test_a_wrong_key_or_a_password_in_the_settings_file_is_refused_naming_it(tmp_path, key):
    from optline.config import ConfigError
    from optline.tasks import settings

    bad = tmp_path / "airflow_settings.yaml"
    bad.write_text(f"connections:\n  optline_twilio: {{conn_type: generic, {key}: x}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=f"unknown key\\(s\\) \\['{key}'\\]"):
        settings.load(bad)
