"""Stand-ins for the people and the scheduler a human-in-the-loop task waits for.

`dag.test()` runs tasks in-process but neither answers a review request nor applies its
timeout (the scheduler's `check_awaiting_input_timeouts` sweep does that in production).
These run in a background thread: `answer` submits a response exactly as the REST API's
PATCH .../hitlDetails route does (the route function itself, no HTTP); `sweep_timeouts`
runs the scheduler's sweep.
"""

from __future__ import annotations

import threading
import time

REVIEWER = "compliance.reviewer"


def _parked(task_id: str, deadline_s: float):
    from airflow.models.hitl import HITLDetail
    from airflow.models.taskinstance import TaskInstance as TI
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState
    from sqlalchemy import select

    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        with create_session() as session:
            rows = session.execute(
                select(TI).join(HITLDetail, HITLDetail.ti_id == TI.id)
                .where(TI.task_id == task_id, TI.state == TaskInstanceState.AWAITING_INPUT)
            ).scalars().all()
            if rows:
                session.expunge_all()
                return rows
        time.sleep(0.2)
    raise TimeoutError(f"no {task_id} task parked for review within {deadline_s} s")


def answer(option: str, task_id: str = "review_batch.review", deadline_s: float = 120) -> threading.Thread:
    """In the background: wait for the review request, then answer it as REVIEWER."""
    def run() -> None:
        from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
        from airflow.api_fastapi.core_api.datamodels.hitl import UpdateHITLDetailPayload
        from airflow.api_fastapi.core_api.routes.public.hitl import update_hitl_detail
        from airflow.utils.session import create_session

        for ti in _parked(task_id, deadline_s):
            with create_session() as session:
                update_hitl_detail(
                    dag_id=ti.dag_id, dag_run_id=ti.run_id, task_id=ti.task_id, map_index=ti.map_index,
                    update_hitl_detail_payload=UpdateHITLDetailPayload(chosen_options=[option]),
                    user=SimpleAuthManagerUser(username=REVIEWER, role="admin"), session=session,
                )

    thread = threading.Thread(target=run, name="reviewer", daemon=True)
    thread.start()
    return thread


def sweep_timeouts(task_id: str = "review_batch.review", deadline_s: float = 120) -> threading.Thread:
    """In the background: run the scheduler's timeout sweep until the request is resolved."""
    def run() -> None:
        from airflow.jobs.job import Job
        from airflow.jobs.scheduler_job_runner import SchedulerJobRunner
        from airflow.models.taskinstance import TaskInstance as TI
        from airflow.utils.session import create_session
        from airflow.utils.state import TaskInstanceState
        from sqlalchemy import select

        parked = _parked(task_id, deadline_s)
        runner = SchedulerJobRunner(job=Job())
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            with create_session() as session:
                runner.check_awaiting_input_timeouts(session=session)
            with create_session() as session:
                states = session.scalars(select(TI.state).where(TI.id.in_([t.id for t in parked]))).all()
            if all(state != TaskInstanceState.AWAITING_INPUT for state in states):
                return
            time.sleep(0.5)

    thread = threading.Thread(target=run, name="timeout-sweep", daemon=True)
    thread.start()
    return thread
