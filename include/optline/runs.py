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
    # Who started the import: the run's triggering Airflow user (None for a scheduled run);
    # None from the CLI, which records its OS account (optline.access.importer).
    imported_by: str | None = None
    # Set when a person set `as_of` by hand (the DAG's `as_of` param, `optline import --as-of`):
    # who did, and the real (wall-clock) time of the run. A compliance override: the contact
    # import refuses it unless the list's policy has `allow_clock_override: true`.
    clock_override_by: str | None = None
    real_time: datetime | None = None
