"""Symlinks in an inbox: a data file or manifest that resolves outside the inbox folder is not
discovered (so not imported), and the log names the link, never the file's contents. A link
that resolves inside the inbox is an ordinary inbox file."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml

from optline.intake.discovery import discover

SECRET = "4155550199"  # what an outside file holds: never in a log line


def _write(path: Path, text: str = f"Phone\n{SECRET}\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _names(inbox: Path) -> list[str]:
    return [str(f.path.relative_to(inbox)) for f in discover(inbox)]


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    return folder


def test_a_link_to_a_file_outside_the_inbox_is_skipped_and_logged(data_dir, outside, caplog) -> None:
    inbox = data_dir / "inbox"
    _write(inbox / "regular.csv")
    (inbox / "linked.csv").symlink_to(_write(outside / "people.csv"))
    (inbox / "brand").mkdir()
    (inbox / "brand" / "deep.csv").symlink_to(Path("..") / ".." / ".." / "elsewhere" / "people.csv")
    with caplog.at_level(logging.WARNING, logger="optline.intake.discovery"):
        assert _names(inbox) == ["regular.csv"]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "linked.csv" in logged and str(Path("brand") / "deep.csv") in logged
    assert "outside the inbox" in logged
    assert SECRET not in logged and "regular.csv" not in logged


def test_a_data_file_whose_manifest_links_outside_the_inbox_is_skipped(data_dir, outside, caplog) -> None:
    inbox = data_dir / "inbox"
    manifest = outside / "shared.manifest.yaml"
    manifest.write_text(yaml.safe_dump({"lists": ["A"]}), encoding="utf-8")
    _write(inbox / "spring.csv")
    (inbox / "spring.manifest.yaml").symlink_to(manifest)
    _write(inbox / "brand" / "autumn.csv")
    (inbox / "brand" / "_manifest.yaml").symlink_to(manifest)
    _write(inbox / "kept.csv")
    with caplog.at_level(logging.WARNING, logger="optline.intake.discovery"):
        assert _names(inbox) == ["kept.csv"]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "spring.manifest.yaml" in logged and "_manifest.yaml" in logged
    assert "lists" not in logged


def test_a_link_that_stays_inside_the_inbox_is_an_inbox_file(data_dir, caplog) -> None:
    inbox = data_dir / "inbox"
    _write(inbox / "shared" / "_manifest.yaml", yaml.safe_dump({"lists": ["A"]}))
    _write(inbox / "shared" / "target.csv")
    (inbox / "brand").mkdir()
    (inbox / "brand" / "_manifest.yaml").symlink_to(Path("..") / "shared" / "_manifest.yaml")
    (inbox / "brand" / "link.csv").symlink_to(inbox / "shared" / "target.csv")
    with caplog.at_level(logging.WARNING, logger="optline.intake.discovery"):
        assert _names(inbox) == ["brand/link.csv", "shared/target.csv"]
    assert not caplog.records


def test_an_inbox_that_is_itself_a_link_still_finds_its_files(tmp_path) -> None:
    real = tmp_path / "real-inbox"
    _write(real / "a.csv")
    inbox = tmp_path / "inbox"
    inbox.symlink_to(real)
    assert _names(inbox) == ["a.csv"]


def test_a_linked_outside_file_is_not_imported(conn, data_dir, outside) -> None:
    """End to end, through a kind's inbox loop (opt-outs: `apply_inbox` over `discover`)."""
    from optline.consent import optouts
    from optline.runs import RunContext
    from tests.conftest import AS_OF
    from tests.helpers import warehouse_snapshot

    inbox = data_dir / "optouts"
    inbox.mkdir()
    (inbox / "optouts.manifest.yaml").write_text(
        yaml.safe_dump({"source": "test", "method": "bulk_file"}), encoding="utf-8")
    (inbox / "optouts.csv").symlink_to(_write(outside / "optouts.csv"))
    before = warehouse_snapshot(conn)
    assert optouts.apply_inbox(conn, inbox, RunContext(as_of=AS_OF), data_dir / "reports") == []
    assert warehouse_snapshot(conn) == before
