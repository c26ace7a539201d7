"""A kind's `apply_file` called with a path directly (the CLI's `optline optouts apply FILE`, a
DAG run whose params name a file) refuses what discovery would skip: a symlink whose target
lies outside the folder holding it (or its manifest so linked), and a special file (a named
pipe would block its reader forever). The refusal is an input error naming the file and saying
what to do; the warehouse is untouched. Discovery skips a named pipe, with a warning."""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from optline.consent import confirmations, inbound, optouts
from optline.contacts import listops
from optline.intake.discovery import discover, require_inside
from optline.intake.errors import INPUT_ERRORS
from optline.intake.readers import MalformedFileError
from optline.messaging import delivery
from optline.runs import RunContext
from tests.conftest import AS_OF
from tests.helpers import warehouse_snapshot

SID = "SM" + "a" * 32


def _delivery_samples(folder: Path, as_of: dt.date) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "statuses.csv"
    path.write_text(f"MessageSid,MessageStatus\n{SID},delivered\n", encoding="utf-8")
    return [path]


# kind -> (its module, how to write one sample data file (and its manifest) into a folder)
KINDS: dict[str, tuple[object, Callable[[Path, dt.date], list[Path]]]] = {
    "optouts": (optouts, optouts.write_samples),
    "inbound": (inbound, inbound.write_samples),
    "confirmations": (confirmations, confirmations.write_samples),
    "touchups": (listops, listops.write_samples),
    "delivery": (delivery, _delivery_samples),
}


def _sample(kind: str, folder: Path) -> Path:
    _, write_samples = KINDS[kind]
    written = [p for p in write_samples(folder, AS_OF.date()) if ".manifest." not in p.name]
    assert written
    return written[0]


def _apply(kind: str, conn, path: Path, reports: Path):
    module, _ = KINDS[kind]
    return module.apply_file(conn, path, RunContext(as_of=AS_OF), reports)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    return folder


@pytest.mark.parametrize("kind", KINDS)
def test_a_link_to_a_file_outside_its_folder_is_refused_and_nothing_is_written(kind, conn, data_dir, outside):
    inbox = data_dir / kind
    data = _sample(kind, inbox)
    target = outside / data.name
    data.rename(target)
    data.symlink_to(target)
    before = warehouse_snapshot(conn)
    with pytest.raises(MalformedFileError) as refused:
        _apply(kind, conn, data, data_dir / "reports")
    message = str(refused.value)
    assert data.name in message and "outside" in message and "copy the file" in message
    assert str(outside) not in message  # the link is named, not where it leads
    assert isinstance(refused.value, INPUT_ERRORS)
    assert warehouse_snapshot(conn) == before
    assert not (data_dir / "reports").exists()


@pytest.mark.parametrize("kind", ["optouts", "inbound", "confirmations", "touchups"])
def test_a_manifest_linked_from_outside_its_folder_is_refused(kind, conn, data_dir, outside):
    inbox = data_dir / kind
    data = _sample(kind, inbox)
    manifest = next(inbox.glob("*.manifest.yaml"))
    target = outside / manifest.name
    manifest.rename(target)
    manifest.symlink_to(target)
    before = warehouse_snapshot(conn)
    with pytest.raises(MalformedFileError, match=r"manifest.yaml.*outside"):
        _apply(kind, conn, data, data_dir / "reports")
    assert warehouse_snapshot(conn) == before


@pytest.mark.parametrize("kind", ["optouts", "delivery"])
def test_a_link_to_a_file_in_the_same_folder_is_applied(kind, conn, data_dir):
    inbox = data_dir / kind
    data = _sample(kind, inbox)
    real = data.with_name("real_" + data.name)
    data.rename(real)
    data.symlink_to(real.name)
    result = _apply(kind, conn, data, data_dir / "reports")
    assert result.as_xcom()["file_name"] == data.name


def test_a_link_within_the_kinds_inbox_is_allowed_as_discovery_allows_it(data_dir, monkeypatch):
    """discover() keeps a link from inbox/brand/ to inbox/shared/: applying it must not refuse it."""
    inbox = data_dir / "inbox"
    (inbox / "shared").mkdir()
    (inbox / "shared" / "a.csv").write_text("Phone\n4155550101\n", encoding="utf-8")
    (inbox / "brand").mkdir()
    (inbox / "brand" / "a.csv").symlink_to(Path("..") / "shared" / "a.csv")
    assert [f.name for f in discover(inbox)] == ["a.csv", "a.csv"]
    require_inside(inbox / "brand" / "a.csv", inbox)
    with pytest.raises(MalformedFileError, match="outside"):
        require_inside(inbox / "brand" / "a.csv")  # without the inbox: its own folder only


def _run_with_timeout(call: Callable[[], object], fifo: Path, seconds: float = 10.0) -> BaseException | None:
    """Run `call` in a thread; if it is still blocked after `seconds` (on the pipe), unblock it by
    opening the pipe's other end, and fail. Returns what it raised."""
    raised: list[BaseException] = []

    def target() -> None:
        try:
            call()
        except BaseException as exc:  # noqa: BLE001 (handed back to the test)
            raised.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # EOF for the blocked reader
        thread.join(seconds)
        pytest.fail(f"reading {fifo.name} blocked for {seconds} s")
    return raised[0] if raised else None


@pytest.mark.parametrize("kind", KINDS)
def test_a_named_pipe_is_refused_without_blocking(kind, conn, data_dir):
    inbox = data_dir / kind
    data = _sample(kind, inbox)
    data.unlink()
    os.mkfifo(data)
    before = warehouse_snapshot(conn)
    raised = _run_with_timeout(lambda: _apply(kind, conn, data, data_dir / "reports"), data)
    assert isinstance(raised, MalformedFileError), raised
    assert data.name in str(raised) and "named pipe" in str(raised) and "regular file" in str(raised)
    assert warehouse_snapshot(conn) == before


def test_a_link_to_a_named_pipe_in_the_same_folder_is_refused(data_dir):
    inbox = data_dir / "inbox"
    os.mkfifo(inbox / "pipe.csv")
    (inbox / "link.csv").symlink_to("pipe.csv")
    with pytest.raises(MalformedFileError, match=r"link\.csv.*named pipe"):
        require_inside(inbox / "link.csv")


def test_a_missing_file_is_an_input_error_naming_it(data_dir):
    with pytest.raises(MalformedFileError, match=r"gone\.csv.*no such file"):
        require_inside(data_dir / "inbox" / "gone.csv")


def test_a_named_pipe_in_the_inbox_is_skipped_at_discovery_with_a_warning(data_dir, caplog):
    inbox = data_dir / "inbox"
    (inbox / "kept.csv").write_text("Phone\n4155550101\n", encoding="utf-8")
    (inbox / "_manifest.yaml").write_text(yaml.safe_dump({"lists": ["A"]}), encoding="utf-8")
    os.mkfifo(inbox / "pipe.csv")
    with caplog.at_level(logging.WARNING, logger="optline.intake.discovery"):
        assert [f.name for f in discover(inbox)] == ["kept.csv"]  # stat only: never opened
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "pipe.csv" in logged and "named pipe" in logged
