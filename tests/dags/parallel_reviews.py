"""A second batch_review run while the first one waits on a reviewer, for the review-gate tests.

`dag.test()` blocks its thread until its run ends, so the second run is a second process
(`python - <dags/batch_review.py>`, sharing the test's Airflow metadata database, warehouse and
environment) while the first waits in the test's own thread. `second_run_while_first_waits`
runs in the background:

1. wait until the first run's review is parked (awaiting_input);
2. `hold_second()`: import another file so a second batch is held (the import's own Asset
   event would start this second run under the scheduler);
3. start the second run and wait until every review task it maps is parked;
4. snapshot every parked review: run, map index, subject (which batch it asks about);
5. end the second run's waits with the scheduler's timeout sweep (the second batch's policy
   has a short timeout), wait for that process, then answer the first run's review.

Whatever goes wrong, every wait is ended the way the scheduler would (reviewer's helpers)
and the error lands in `helper.errors`.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import PROJECT
from tests.dags import reviewer

TASK_ID = "review_batch.review"

_SECOND_RUN = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("batch_review_second_run", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
dag_run = module.batch_review().test()
print("second run:", dag_run.run_id, dag_run.state)
sys.exit(0 if str(dag_run.state) == "success" else 1)
"""


def _review_tis(run_id: str | None = None) -> list[dict]:
    """Every review task instance (of one run, or all) with its state and its question's subject."""
    from airflow.models.hitl import HITLDetail
    from airflow.models.taskinstance import TaskInstance as TI
    from airflow.utils.session import create_session
    from sqlalchemy import select

    query = (select(TI.run_id, TI.map_index, TI.state, HITLDetail.subject)
             .outerjoin(HITLDetail, HITLDetail.ti_id == TI.id).where(TI.task_id == TASK_ID))
    if run_id is not None:
        query = query.where(TI.run_id == run_id)
    with create_session() as session:
        rows = session.execute(query).all()
    return [{"run_id": r, "map_index": m, "state": str(s), "subject": subj} for r, m, s, subj in rows]


def _parked_now() -> list[dict]:
    return sorted((t for t in _review_tis() if t["state"] == "awaiting_input" and t["subject"]),
                  key=lambda t: (t["run_id"], t["map_index"]))


def _wait(condition: Callable[[], bool], seconds: float, what: str) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.3)
    raise TimeoutError(f"{what} within {seconds} s")


def second_run_while_first_waits(hold_second: Callable[[], None], log_file: Path,
                                 deadline_s: float = 180) -> reviewer.Helper:
    """In the background: see the module docstring. `helper.parked_at_once` is the snapshot of
    step 4; `helper.second_rc` the second run's exit code."""
    def work(helper: reviewer.Helper) -> None:
        first = reviewer._parked(TASK_ID, deadline_s)
        first_run = first[0].run_id
        earlier_runs = {t["run_id"] for t in _review_tis()}  # the first run and earlier tests' runs
        hold_second()
        with log_file.open("w") as out:
            proc = subprocess.Popen([sys.executable, "-", str(PROJECT / "dags" / "batch_review.py")],
                                    stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT, cwd=PROJECT,
                                    text=True)
            proc.stdin.write(_SECOND_RUN)
            proc.stdin.close()
            try:
                def second_parked() -> bool:
                    if proc.poll() is not None:
                        raise RuntimeError(f"the second run ended early ({proc.returncode}); see {log_file}")
                    mine = [t for t in _review_tis() if t["run_id"] not in earlier_runs]
                    return bool(mine) and all(t["state"] == "awaiting_input" and t["subject"] for t in mine)

                _wait(second_parked, deadline_s, "the second run's reviews were not all parked")
                helper.parked_at_once = _parked_now()
                second_ids = [t.id for t in reviewer._parked(TASK_ID, 5) if t.run_id != first_run]
                # The second batch's policy times out in seconds: the sweep refuses it.
                reviewer._sweep_until_resolved(second_ids, 60)
                if reviewer._still_waiting(second_ids):
                    helper.errors.append("the second run asked about a batch whose timeout is not short "
                                         "(the first batch again?); ended by a forced sweep")
                    reviewer._force_sweep(TASK_ID)
                helper.second_rc = proc.wait(timeout=deadline_s)
            finally:
                if proc.poll() is None:
                    reviewer._force_sweep(TASK_ID)
                    proc.wait(timeout=60)
        if helper.errors:
            return  # the forced sweep ended the first run's wait too
        answering = reviewer.answer("Approve", TASK_ID, deadline_s)
        answering.join(deadline_s)
        helper.errors.extend(answering.errors)
        helper.notes.extend(answering.notes)

    # Import here what the thread uses: a thread importing Airflow's models while dag.test()
    # imports them in the main thread can deadlock on the import locks (seen).
    import airflow.api_fastapi.core_api.routes.public.hitl  # noqa: F401
    import airflow.jobs.scheduler_job_runner  # noqa: F401
    import airflow.models.dagrun  # noqa: F401
    import airflow.models.hitl  # noqa: F401
    import airflow.models.taskinstance  # noqa: F401

    helper = reviewer.Helper("second-run", work)
    helper.parked_at_once = []
    helper.second_rc = None
    helper.task_id = TASK_ID
    helper.start()
    return helper
