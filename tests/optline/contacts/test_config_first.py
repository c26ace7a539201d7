"""The configuration is checked before any input file is read: a bad number HMAC key stops the
contact import's stage step and every other kind's apply_file with a ConfigError (saying what to
do), before the file or its manifest is opened, and the warehouse is untouched (no batch, no
staged row). A ConfigError is not retried: it is one of intake.errors.INPUT_ERRORS."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import yaml

from optline.config import ConfigError
from optline.contacts import pipeline
from optline.runs import RunContext
from tests.conftest import AS_OF
from tests.helpers import warehouse_snapshot, write_csv

RUN = RunContext(as_of=AS_OF, dag_id="test", run_id="test-run")
SHORT_KEY = "abcde"


@pytest.fixture
def short_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPTLINE_HMAC_KEY", SHORT_KEY)


def _never_read(monkeypatch: pytest.MonkeyPatch, module, *names: str) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("the input file was read before the configuration was checked")
    for name in names:
        monkeypatch.setattr(module, name, refuse)


def test_a_short_key_stops_the_contact_stage_before_anything_is_staged(conn, data_dir, short_key) -> None:
    path = write_csv(data_dir / "inbox" / "a.csv", [["phone", "first_name"], ["(415) 555-0101", "Ann"]])
    before = warehouse_snapshot(conn)
    with pytest.raises(ConfigError, match="at least 32 characters"):
        pipeline.stage(conn, path, RUN)
    assert warehouse_snapshot(conn) == before
    assert conn.execute("select count(*) from ops.batches").fetchone()[0] == 0
    assert SHORT_KEY not in str(before)


def test_the_contact_stage_checks_the_key_before_opening_the_file(conn, data_dir, short_key, monkeypatch) -> None:
    path = write_csv(data_dir / "inbox" / "a.csv", [["phone"], ["(415) 555-0101"]])
    _never_read(monkeypatch, pipeline, "load_manifest", "stage_file")
    with pytest.raises(ConfigError):
        pipeline.stage(conn, path, RUN)


def test_a_short_key_stops_an_optout_file_and_leaves_the_warehouse_untouched(conn, data_dir, short_key) -> None:
    from optline.consent import optouts

    path = data_dir / "optouts" / "optouts.csv"
    path.parent.mkdir()
    path.write_text("phone\n(415) 555-0101\n", encoding="utf-8")
    path.with_name("optouts.manifest.yaml").write_text(
        yaml.safe_dump({"source": "test", "method": "bulk_file"}), encoding="utf-8")
    before = warehouse_snapshot(conn)
    with pytest.raises(ConfigError, match="OPTLINE_HMAC_KEY|32 characters"):
        optouts.apply_file(conn, path, RUN, data_dir / "reports")
    assert warehouse_snapshot(conn) == before
    assert not (data_dir / "reports").exists() or not any((data_dir / "reports").rglob("*.csv"))


@pytest.mark.parametrize("module_name", ["optline.consent.optouts", "optline.consent.inbound",
                                         "optline.consent.confirmations", "optline.contacts.listops"])
def test_every_kind_checks_the_key_before_opening_the_file(module_name, conn, data_dir, short_key,
                                                           monkeypatch) -> None:
    module = importlib.import_module(module_name)
    path = data_dir / "inbox" / "file.csv"
    path.write_text("phone\n(415) 555-0101\n", encoding="utf-8")
    _never_read(monkeypatch, module, "load_manifest", "sha256_of")
    before = warehouse_snapshot(conn)
    with pytest.raises(ConfigError):
        module.apply_file(conn, path, RUN, data_dir / "reports")
    assert warehouse_snapshot(conn) == before


def test_a_missing_key_says_how_to_set_it(conn, data_dir, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("OPTLINE_HMAC_KEY")
    monkeypatch.setenv("OPTLINE_HMAC_KEY_FILE", str(tmp_path / "no.key"))
    path = write_csv(data_dir / "inbox" / "a.csv", [["phone"], ["(415) 555-0101"]])
    with pytest.raises(ConfigError, match="optline init-key"):
        pipeline.stage(conn, path, RUN)
    assert conn.execute("select count(*) from ops.batches").fetchone()[0] == 0


def test_a_config_error_is_not_retried() -> None:
    """The adapters fail the task at once (no retry) on intake.errors.INPUT_ERRORS."""
    from optline.intake.errors import INPUT_ERRORS

    assert isinstance(ConfigError("no key"), INPUT_ERRORS)
