"""The command line explains itself: every subcommand's --help says what it does, what it reads
and writes, with an example; -v works before or after the subcommand; --version names the
versions."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from optline.cli import build_parser, main

OPTLINE = Path(sys.executable).with_name("optline")


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


@pytest.mark.parametrize("name", sorted(_subcommands()))
def test_every_subcommand_help_exits_0_and_says_what_it_does_with_an_example(name, capsys):
    description = _subcommands()[name].description
    with pytest.raises(SystemExit) as done:
        main([name, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert description and len(description) > 120, f"optline {name} has no description"
    assert description.splitlines()[0] in out  # printed as written (examples keep their lines)
    assert f"\n  optline {name}" in description, f"optline {name}'s description has no example"
    assert "-v, --verbose" in out


def test_every_subcommand_is_in_the_top_level_help(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for name in _subcommands():
        assert f"optline {name}" in out or f"    {name}" in out, name


@pytest.mark.parametrize("argv", [["-v", "summary"], ["summary", "-v"], ["summary", "--verbose"]])
def test_verbose_is_taken_before_or_after_the_subcommand(argv):
    assert build_parser().parse_args(argv).verbose is True


def test_without_verbose_the_namespace_says_nothing_of_it():
    assert getattr(build_parser().parse_args(["summary"]), "verbose", False) is False


def test_version_of_the_installed_command_names_optline_duckdb_and_airflow():
    done = subprocess.run([str(OPTLINE), "--version"], capture_output=True, text=True, timeout=60, check=True)
    from importlib import metadata

    assert done.stdout.startswith(f"optline {metadata.version('optline')} (duckdb {duckdb.__version__}, "
                                  f"apache-airflow {metadata.version('apache-airflow')}")
