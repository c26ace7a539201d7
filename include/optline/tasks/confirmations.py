"""What the web_confirmations DAG's tasks do: thin adapters from Airflow's context to
optline.consent.confirmations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from airflow.sdk.exceptions import AirflowFailException

from optline.config import paths
from optline.consent import confirmations
from optline.intake.errors import INPUT_ERRORS
from optline.tasks.common import discover_in, open_warehouse, run_context


def discover_files(context: dict[str, Any]) -> list[dict]:
    chosen = (context.get("params") or {}).get("inbox")
    return discover_in(Path(chosen) if chosen else confirmations.confirmations_inbox(), "web confirmations")


def apply_file(inbox_file: dict, context: dict[str, Any]) -> dict:
    with open_warehouse() as conn:
        try:
            result = confirmations.apply_file(conn, Path(inbox_file["path"]), run_context(context, wall_clock=True),
                                              paths().reports)
        except INPUT_ERRORS as exc:
            raise AirflowFailException(str(exc)) from exc  # a person must fix the file: no retry
    return result.as_xcom()
