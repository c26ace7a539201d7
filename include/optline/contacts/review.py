"""The compliance review of held batches: what a reviewer is asked about each one."""

from __future__ import annotations

import duckdb

from optline import warehouse
from optline.contacts.batch import load_batch


def held_for_review(conn: duckdb.DuckDBPyConnection) -> list[dict]:
    """Batches awaiting a reviewer, with their policy's timeout (no personal data)."""
    held = warehouse.fetch_dicts(conn, "quality/batches_awaiting_review")
    for batch in held:
        batch["timeout_minutes"] = load_batch(conn, batch["batch_id"]).policy.gate["review_timeout_minutes"]
        batch["list_names"] = list(batch["list_names"])
    return held
