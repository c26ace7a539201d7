"""One import batch as its steps see it, loaded once from the warehouse and passed along.

stage -> check -> validate -> merge each take a `Batch`. In Airflow every task is its own
process: it loads the batch once, from the batch id it gets over XCom. In one process
(`pipeline.import_file`, the CLI) a step that moves the batch on says where to (its result's
status), and the next step gets `batch.moved_to(status)`: the warehouse is read once.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

import duckdb

from optline import warehouse
from optline.contacts.policy import Policy, load_policy


class BatchNotFoundError(LookupError):
    """No import batch has the id asked for."""


@dataclass(frozen=True)
class Batch:
    batch_id: int
    file_name: str
    status: str  # staged | checked | validated | awaiting_review | approved | refused | rejected | merged
    policy: Policy  # the manifest's policy with its `policy_overrides`
    settings: Mapping[str, Any]  # the manifest's settings as staged (lists, channel, consent, tags, ...)
    as_of: dt.datetime  # the clock the row rules use
    default_country: str
    lines_read: int

    def moved_to(self, status: str) -> Batch:
        """The same batch after a step moved it to `status`."""
        return replace(self, status=status)


# Policies staging has just checked, by batch id: the next `load_batch` of that batch in the
# same process takes its policy from here (once) instead of reading the files again.
_CHECKED: dict[int, Policy] = {}


def hand_over_policy(batch_id: int, policy: Policy) -> None:
    """Staging checked `policy` for `batch_id`: the next load_batch of it uses it (once)."""
    _CHECKED[batch_id] = policy


def load_batch(conn: duckdb.DuckDBPyConnection, batch_id: int) -> Batch:
    """The batch `batch_id`, with its policy read from the policy files once (or as staging
    just checked it, in the same process)."""
    rows = warehouse.fetch_dicts(conn, "batches/batch_by_id", batch_id=batch_id)
    if not rows:
        raise BatchNotFoundError(f"no import batch {batch_id} in the warehouse: check the batch id "
                                 "(`optline summary` shows each file's batch)")
    row = rows[0]
    settings = json.loads(row["manifest"])
    checked = _CHECKED.pop(batch_id, None)
    if checked is None or checked.name != row["policy_name"]:
        checked = load_policy(row["policy_name"], settings.get("policy_overrides"))
    return Batch(
        batch_id=row["batch_id"],
        file_name=row["file_name"],
        status=row["status"],
        policy=checked,
        settings=MappingProxyType(settings),
        as_of=row["as_of"],
        default_country=row["default_country"],
        lines_read=row["lines_read"],
    )
