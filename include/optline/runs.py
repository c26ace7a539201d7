"""Who runs a step and on which clock: the DAG and run (or the CLI), and the time the rules use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class RunContext:
    """Who is importing: the Airflow DAG and run (or the CLI), and the rules' clock."""
    as_of: datetime
    dag_id: str | None = None
    run_id: str | None = None
