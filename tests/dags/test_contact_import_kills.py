"""kill -9 of the contact_import DAG right after a commit, then a second run (issue 11, "Crashes").

dag.test() runs the tasks in its own process, so the DAG run is a child process
(`python -`, this test's Airflow metadata database, warehouse and environment) with
OPTLINE_CRASH_AT naming a crash point (`optline.failpoints`): it SIGKILLs itself there, in the
middle of a task, exactly as a kill -9 of the worker would. A second run, unarmed, must end
the import: the batch's review report shows its status, and the Asset events the killed
task never emitted (the merge's, which trigger the welcome messages; the review request's,
which starts batch_review) are in Airflow's metadata.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from optline import warehouse
from tests.conftest import PROJECT
from tests.helpers import OPEN_GATE, write_csv

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

AS_OF = "2026-11-01T12:00:00+00:00"
_RUN = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("contact_import_killed_run", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
dag_run = module.contact_import().test(run_conf={"as_of": sys.argv[2]})
print("run:", dag_run.run_id, dag_run.state)
sys.exit(0 if str(dag_run.state) == "success" else 1)
"""


def run_dag_process(crash_at: str | None, log: Path) -> int:
    env = {k: v for k, v in os.environ.items() if k != "OPTLINE_CRASH_AT"}
    if crash_at:
        env["OPTLINE_CRASH_AT"] = crash_at
    with log.open("a") as out:
        done = subprocess.run([sys.executable, "-", str(PROJECT / "dags" / "contact_import.py"), AS_OF],
                              input=_RUN, stdout=out, stderr=subprocess.STDOUT, cwd=PROJECT, env=env, text=True,
                              timeout=600, check=False)
    return done.returncode


def write_list(inbox: Path, held: bool) -> None:
    rows = [[f"(415) 555-{100 + i:04d}", "Ann", "1990-01-02", "2026-10-01"] for i in range(6)]
    rows += [["+1 800 555 0199", "Toll", "1990-01-02", "2026-10-01"]] * (3 if held else 1)  # not_mobile
    # the real gate holds a batch with more than 10 % rejected rows (3 of 9)
    write_csv(inbox / "list.csv", [["phone", "first_name", "dob", "opt_in"], *rows], lists=["Main"],
              policy_overrides={} if held else OPEN_GATE)


def batch_and_report(data_dir: Path) -> tuple[str, str | None]:
    with warehouse.connect(data_dir / "warehouse.duckdb", read_only=True) as conn:
        ((batch_id, status),) = conn.execute("select batch_id, status from ops.batches").fetchall()
    report = data_dir / "reports" / "batches" / f"{batch_id:06d}" / "report.html"
    if not report.exists():
        return status, None
    return status, re.search(r'id="batch-status">([^<]*)<', report.read_text(encoding="utf-8")).group(1)


def asset_events(airflow_db: Path, run_id: str, task_id: str) -> set[str]:
    """The names of the Assets that task `task_id` of contact_import's run `run_id` sent an event to."""
    with sqlite3.connect(airflow_db / "airflow.db") as db:
        rows = db.execute("""select a.name from asset_event e join asset a on a.id = e.asset_id
            where e.source_dag_id = 'contact_import' and e.source_run_id = ? and e.source_task_id = ?""",
                          (run_id, task_id)).fetchall()
    return {name for (name,) in rows}


def killed_then_run_again(point: str, tmp_path: Path) -> str:
    """Run the DAG killed at `point`, then again; the second run's id."""
    log = tmp_path / "runs.log"
    rc = run_dag_process(point, log)
    assert rc == -9, f"the run was not killed at {point} (rc {rc}):\n{log.read_text()[-3000:]}"
    rc = run_dag_process(None, log)
    assert rc == 0, f"the second run did not succeed (rc {rc}):\n{log.read_text()[-3000:]}"
    return re.findall(r"^run: (\S+) ", log.read_text(), re.MULTILINE)[-1]


def test_a_merge_killed_after_its_commit_is_finished_by_the_next_run_with_its_asset_events(
        airflow_db, data_dir, tmp_path):
    write_list(data_dir / "inbox", held=False)
    second = killed_then_run_again("after_merge_commit", tmp_path)
    assert batch_and_report(data_dir) == ("merged", "merged")
    assert {"optline.core.contacts", "optline.core.memberships",
            "optline.core.consent_events"} <= asset_events(airflow_db, second, "import_file.merge")


def test_a_gate_killed_after_holding_a_batch_is_finished_by_the_next_run_which_asks_for_review(
        airflow_db, data_dir, tmp_path):
    write_list(data_dir / "inbox", held=True)
    second = killed_then_run_again("after_validate_commit", tmp_path)
    assert batch_and_report(data_dir) == ("awaiting_review", "awaiting review")
    assert asset_events(airflow_db, second, "import_file.request_review") == {"optline.review_requests"}
