"""Settings from the environment: read in config.py only, and listed in its table (each
inbox's variable: tests/optline/intake/test_kinds.py)."""

from __future__ import annotations

import re
from pathlib import Path

from optline import config

PACKAGE = Path(config.__file__).parent
_READS = re.compile(r"""(?:environ\.get|environ\[|getenv)\(?\s*["'](OPTLINE_[A-Z_]+)""")


def _documented() -> set[str]:
    return set(re.findall(r"^\| (OPTLINE_[A-Z_]+) ", config.__doc__ or "", re.MULTILINE))


def test_only_config_reads_optline_variables():
    readers = {str(path.relative_to(PACKAGE)): _READS.findall(path.read_text(encoding="utf-8"))
               for path in PACKAGE.rglob("*.py") if path.name != "config.py"}
    assert {name: found for name, found in readers.items() if found} == {}


def test_the_table_lists_every_variable_config_reads_and_no_other():
    source = Path(config.__file__).read_text(encoding="utf-8")
    code = source[source.index('"""', 3) + 3:]
    assert set(re.findall(r"""["'](OPTLINE_[A-Z_]+)["']""", code)) == _documented()


def test_the_messaging_variables_are_none_unless_set(monkeypatch, tmp_path):
    monkeypatch.delenv("OPTLINE_MESSAGING_CONFIG", raising=False)
    monkeypatch.delenv("OPTLINE_MESSAGE_PROVIDER", raising=False)
    assert (config.messaging_config_file(), config.message_provider()) == (None, None)
    monkeypatch.setenv("OPTLINE_MESSAGING_CONFIG", str(tmp_path / "m.yaml"))
    monkeypatch.setenv("OPTLINE_MESSAGE_PROVIDER", "twilio")
    assert (config.messaging_config_file(), config.message_provider()) == ((tmp_path / "m.yaml").resolve(), "twilio")
