"""`optline import` with a lookup policy and the Twilio connection in the environment pointing
at the stand-in: the summary says what the lookups cost, and an import killed (SIGKILL) in the
middle of its lookups asks, when run again, only the numbers whose answers it had not committed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.helpers import PEOPLE_HEADER, person, write_csv
from tests.optline.lookup.conftest import LANDLINE, MOBILES

OPTLINE = Path(sys.executable).with_name("optline")


def test_an_import_killed_during_its_lookups_asks_only_the_rest_when_run_again(data_dir, policies, standin,
                                                                              twilio_connection):
    numbers = [LANDLINE, *MOBILES]
    path = write_csv(data_dir / "inbox" / "killed.csv", [PEOPLE_HEADER, *[person(n, f"K{i}") for i, n in
                                                                          enumerate(numbers)]],
                     lists=["Main"], policy="lookups")  # request_batch 2: answers committed two at a time
    command = [str(OPTLINE), "import", str(path), "--as-of", "2026-11-01T12:00:00Z"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ)
    seen = {"n": 0}

    def kill_at_the_fourth(_: dict[str, Any]) -> str:
        seen["n"] += 1
        if seen["n"] == 4:  # two answers committed, the third answered but not yet committed
            os.kill(process.pid, signal.SIGKILL)
            return "drop"
        return "ok"
    standin.script(kill_at_the_fourth)
    process.communicate(timeout=120)
    assert process.returncode == -signal.SIGKILL
    first = standin.answered_numbers()
    assert len(first) == 3
    standin.script([])
    again = subprocess.run(command, capture_output=True, text=True, timeout=120, env=os.environ)
    assert again.returncode == 0, again.stderr
    asked_again = standin.answered_numbers()[3:]
    assert sorted(asked_again) == sorted(set(numbers) - set(first[:2]))  # the two committed ones are not asked
    assert "line-type lookups (twilio): 7 numbers, 7 looked up, 0 from the cache, 0 unanswered" in again.stdout
    assert "rejected by reason: landline 1" in again.stdout
    assert not any(n in again.stdout + again.stderr for n in numbers)  # no number in what the CLI prints
