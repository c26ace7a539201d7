"""What every DAG shares: retries with backoff, the start date, the writer pool."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum

from optline.tasks.common import WRITER_POOL

START_DATE = pendulum.datetime(2026, 1, 1, tz="UTC")

__all__ = ["START_DATE", "WRITER_POOL", "default_args"]


def default_args(owner: str = "data-team", *, max_retry_delay: timedelta | None = None) -> dict[str, Any]:
    """Two retries, one minute apart and doubling, capped at `max_retry_delay` when given."""
    args: dict[str, Any] = {
        "owner": owner,
        "retries": 2,
        "retry_delay": timedelta(minutes=1),
        "retry_exponential_backoff": 2.0,
    }
    if max_retry_delay is not None:
        args["max_retry_delay"] = max_retry_delay
    return args
