"""batch_review's held_batches step, narrowed to the batches this run should ask about.

Runs of batch_review overlap (`max_active_runs` > 1): each asks only about the held batches
with no request open in another run (optline.contacts.review_requests), asking Airflow whether
the run that asked is still going.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from optline.contacts import review_requests
from optline.tasks.common import open_warehouse

log = logging.getLogger(__name__)

GOING = {"queued", "running"}


def _run_is_going(ti: Any) -> review_requests.RunIsGoing:
    def going(dag_id: str, run_id: str) -> bool:
        try:
            state = ti.get_dagrun_state(dag_id=dag_id, run_id=run_id)
            return str(getattr(state, "value", state)).lower() in GOING  # an enum: its str() is its name
        except Exception as exc:  # noqa: BLE001 - a run Airflow no longer knows is not going
            log.info("run %s of %s not found (%s): its review requests are closed", run_id, dag_id,
                     type(exc).__name__)
            return False
    return going


def claim(held: list[dict], context: dict[str, Any]) -> list[dict]:
    """The held batches no other running batch_review run is asking about, recorded as asked
    by this run."""
    dag_id, run_id = context["dag"].dag_id, context["run_id"]
    with open_warehouse() as conn:
        latest = review_requests.latest_requests(conn)
        ask = review_requests.to_ask(held, latest, dag_id, run_id, _run_is_going(context["ti"]))
        review_requests.record_requests(conn, [b["batch_id"] for b in ask], dag_id, run_id, dt.datetime.now(dt.UTC))
    waiting = sorted({b["batch_id"] for b in held} - {b["batch_id"] for b in ask})
    log.info("asking about %d held batch(es): %s%s", len(ask), ", ".join(str(b["batch_id"]) for b in ask) or "none",
             f"; already asked in another run: {', '.join(map(str, waiting))}" if waiting else "")
    return ask
