"""What the warehouse_maintenance DAG's task does: the warehouse's upkeep, summed up in a line."""

from __future__ import annotations

import logging
from typing import Any

from optline import warehouse
from optline.tasks.common import open_warehouse

log = logging.getLogger(__name__)


def maintain(context: dict[str, Any]) -> str:
    """`warehouse.maintain` on the warehouse; the run's `keep_days` param, else OPTLINE_LAKE_KEEP_DAYS."""
    keep_days = (context.get("params") or {}).get("keep_days")
    with open_warehouse() as conn:
        line = warehouse.maintain(conn, keep_days=None if keep_days is None else float(keep_days))
    log.info("warehouse upkeep: %s", line)
    return line
