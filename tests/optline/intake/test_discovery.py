"""Inbox discovery: which files are waiting, and which are not data files."""

from __future__ import annotations

from pathlib import Path

import pytest

from optline.intake.discovery import InboxFile, discover


def _touch(root: Path, rel: str, text: str = "Phone\n4155550101\n") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _names(inbox: Path) -> list[str]:
    return [str(f.path.relative_to(inbox)) for f in discover(inbox)]


def test_data_files_of_every_supported_type_are_found(data_dir: Path) -> None:
    inbox = data_dir / "inbox"
    for rel in ("a.csv", "b.tsv", "c.txt", "d.xlsx", "E.CSV"):
        _touch(inbox, rel)
    assert sorted(_names(inbox)) == ["E.CSV", "a.csv", "b.tsv", "c.txt", "d.xlsx"]


def test_files_in_subfolders_are_found_in_path_order(data_dir: Path) -> None:
    inbox = data_dir / "inbox"
    _touch(inbox, "zeta.csv")
    _touch(inbox, "brand-b/spring.csv")
    _touch(inbox, "brand-a/deep/numbers.txt")
    assert _names(inbox) == ["brand-a/deep/numbers.txt", "brand-b/spring.csv", "zeta.csv"]


def test_manifests_are_not_data_files(data_dir: Path) -> None:
    inbox = data_dir / "inbox"
    _touch(inbox, "spring.csv")
    _touch(inbox, "spring.manifest.yaml", "lists: [A]\n")
    _touch(inbox, "spring.manifest.yml", "lists: [A]\n")
    _touch(inbox, "brand/_manifest.yaml", "lists: [A]\n")
    _touch(inbox, "odd.manifest.csv", "lists,A\n")
    assert _names(inbox) == ["spring.csv"]


def test_hidden_and_underscore_files_and_folders_are_skipped(data_dir: Path) -> None:
    inbox = data_dir / "inbox"
    _touch(inbox, "keep.csv")
    _touch(inbox, ".~lock.keep.csv#")
    _touch(inbox, ".hidden.csv")
    _touch(inbox, "_draft.csv")
    _touch(inbox, ".git/objects/x.txt")
    _touch(inbox, "_archive/old.csv")
    _touch(inbox, "brand/.partial.xlsx")
    _touch(inbox, "brand/_rejected/bad.csv")
    _touch(inbox, "brand/new.csv")
    assert _names(inbox) == ["brand/new.csv", "keep.csv"]


def test_unsupported_file_types_are_skipped(data_dir: Path) -> None:
    inbox = data_dir / "inbox"
    _touch(inbox, "keep.txt")
    for rel in ("old.xlsb", "notes.pdf", "data.json", "README", "contacts.csv.bak", "x.numbers"):
        _touch(inbox, rel)
    (inbox / "folder.csv").mkdir()  # a folder with a data-file name is not a file
    assert _names(inbox) == ["keep.txt"]


def test_empty_inbox_has_nothing_waiting(data_dir: Path) -> None:
    assert discover(data_dir / "inbox") == []


def test_missing_inbox_error_says_how_to_fix_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as info:
        discover(tmp_path / "nowhere")
    assert str(tmp_path / "nowhere") in str(info.value)
    assert "OPTLINE_INBOX" in str(info.value)


def test_inbox_file_passes_on_the_path_never_the_contents(data_dir: Path) -> None:
    path = _touch(data_dir / "inbox", "spring.csv", "Phone\n4155550101\n")
    (found,) = discover(data_dir / "inbox")
    assert found == InboxFile(path)
    assert found.name == "spring.csv"
    assert found.as_xcom() == {"path": str(path), "name": "spring.csv"}
