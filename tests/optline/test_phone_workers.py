"""Phone-parsing worker processes never outlive the process that started them.

Real processes: a python process (or the real `optline import`) parses enough distinct values
to use the process pool; once the pool's workers exist, the test records every process of that
tree (forkserver, resource tracker, workers) from /proc, kills the main process, and asserts
that none of them is left a few seconds later.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from optline.samples import write_manifest

PROJECT = Path(__file__).resolve().parents[2]
OPTLINE = Path(sys.executable).parent / "optline"
WORKERS = 2
GRACE_S = 15.0  # how long the killed tree may take to end

# Parses 200,000 distinct values with 2 workers, over and over, until it is killed.
# SIGINT is restored to Python's handler first: a process started in the background by a
# non-interactive shell (`make test &`, some CI runners) inherits SIGINT ignored, and Python then
# installs no KeyboardInterrupt handler; a terminal's Ctrl-C always reaches an interactive one.
_PARSER = f"""
import signal
signal.signal(signal.SIGINT, signal.default_int_handler)
from optline import phones
raws = [f"({{area}}) {{200 + i // 10000:03d}}-{{i % 10000:04d}}" for area in (415, 212) for i in range(100_000)]
print("parsing", flush=True)
while True:
    phones.parse_many(raws, "US", workers={WORKERS})
"""


def _proc_table() -> dict[int, tuple[int, str, int]]:
    """pid -> (parent pid, state, start time) of every process on the machine."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        table[int(entry)] = (int(fields[1]), fields[0], int(fields[19]))
    return table


def _descendants(root: int) -> dict[int, int]:
    """pid -> start time of every live descendant of `root`."""
    table = _proc_table()
    found: dict[int, int] = {}
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, state, start) in table.items():
            if ppid == parent and pid not in found and state != "Z":
                found[pid] = start
                frontier.append(pid)
    return found


def _still_running(recorded: dict[int, int]) -> list[int]:
    """The recorded processes that are still running (a zombie waiting for its reaper is gone)."""
    table = _proc_table()
    return [pid for pid, start in recorded.items()
            if pid in table and table[pid][2] == start and table[pid][1] != "Z"]


def _wait_for_workers(proc: subprocess.Popen, at_least: int, timeout: float = 60.0) -> dict[int, int]:
    """The main process's descendants once its pool workers exist (forkserver, tracker, workers)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the main process ended early: {proc.stderr.read() if proc.stderr else ''}"
        tree = _descendants(proc.pid)
        if len(tree) >= at_least:
            time.sleep(0.5)  # let the workers get well into their chunks
            return _descendants(proc.pid)
        time.sleep(0.05)
    pytest.fail(f"the pool's workers never appeared under pid {proc.pid}")


def _assert_tree_ends(proc: subprocess.Popen, tree: dict[int, int]) -> None:
    proc.wait(timeout=GRACE_S)
    deadline = time.monotonic() + GRACE_S
    left = _still_running(tree)
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = _still_running(tree)
    for pid in left:  # leave nothing behind for the rest of the suite
        os.kill(pid, signal.SIGKILL)
    assert left == [], f"{len(left)} of the {len(tree)} processes of the killed tree were still running"


def _start_parser() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", _PARSER], cwd=PROJECT, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, start_new_session=True)


# forkserver + resource tracker + the workers
_TREE = 2 + WORKERS


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM"])
def test_killing_the_parser_mid_parse_leaves_no_worker_or_forkserver_running(how: str) -> None:
    proc = _start_parser()
    try:
        tree = _wait_for_workers(proc, _TREE)
        assert len(tree) >= _TREE
        os.kill(proc.pid, getattr(signal, how))
        _assert_tree_ends(proc, tree)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_ctrl_c_to_the_process_group_mid_parse_leaves_no_process_running() -> None:
    proc = _start_parser()
    try:
        tree = _wait_for_workers(proc, _TREE)
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        _assert_tree_ends(proc, tree)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_sigint_to_the_main_process_alone_mid_parse_leaves_no_process_running() -> None:
    proc = _start_parser()
    try:
        tree = _wait_for_workers(proc, _TREE)
        os.kill(proc.pid, signal.SIGINT)
        _assert_tree_ends(proc, tree)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_finished_parse_leaves_no_worker_running() -> None:
    code = ("from optline import phones\n"
            "raws = [f'(415) {200 + i // 10000:03d}-{i % 10000:04d}' for i in range(60_000)]\n"
            f"assert len(phones.parse_many(raws, 'US', workers={WORKERS})) == 60_000\n"
            "import os, time\n"
            "print(os.getpid(), flush=True)\n"
            "time.sleep(30)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=PROJECT, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        assert proc.stdout.readline().strip() == str(proc.pid)
        deadline = time.monotonic() + GRACE_S
        workers = _workers(proc.pid)
        while workers and time.monotonic() < deadline:
            time.sleep(0.1)
            workers = _workers(proc.pid)
        # the process still runs (its idle forkserver may stay while it does); no worker is left
        assert proc.poll() is None
        assert workers == [], f"{len(workers)} workers still run after the parse finished"
    finally:
        proc.kill()
        proc.wait()


def _workers(root: int) -> list[int]:
    """The descendants of `root` that are not its own children: the forkserver's workers."""
    table = _proc_table()
    return [pid for pid in _descendants(root) if table.get(pid, (root,))[0] != root]


def test_killing_a_real_import_during_phone_parsing_leaves_no_process_running(tmp_path: Path) -> None:
    data = tmp_path / "data"
    inbox = data / "inbox"
    inbox.mkdir(parents=True)
    # Numbers with an extension: the SQL normalizer leaves them to phonenumbers, in the pool.
    rows = (f"({area}) {200 + i // 10000:03d}-{i % 10000:04d} ext. 7" for area in (415, 212) for i in range(110_000))
    (inbox / "bulk.csv").write_text("phone\n" + "\n".join(rows) + "\n", encoding="utf-8")
    write_manifest(inbox / "bulk.csv", {"lists": ["Bulk"], "default_country": "US",
                                        "consent": {"source": "test", "method": "generated"}})
    env = {**os.environ, "OPTLINE_DATA_DIR": str(data)}
    for var in ("OPTLINE_INBOX", "OPTLINE_WAREHOUSE", "OPTLINE_REPORTS"):
        env.pop(var, None)
    proc = subprocess.Popen([str(OPTLINE), "import"], cwd=PROJECT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        tree = _wait_for_workers(proc, 2 + min(WORKERS, os.cpu_count() or 1), timeout=120)
        os.kill(proc.pid, signal.SIGKILL)
        _assert_tree_ends(proc, tree)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
