"""Merge a checked batch into the core tables, in one transaction.

Numbers, lists, contacts (same number + same names merge; blank cells never overwrite),
memberships, channels, tags, and one opt-in consent event per accepted row.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import duckdb

from optline import warehouse

log = logging.getLogger(__name__)

# In order: each step may rely on the ones before it.
STEPS = (
    "merge/lists_insert_new",
    "merge/phone_numbers_insert_new",
    "merge/incoming_contacts_create",
    "merge/contacts_insert_new_named",
    "merge/contacts_insert_new_nameless",
    "merge/contact_matches_create",
    "merge/contacts_update_matched",
    "merge/row_outcomes_set_contact",
    "merge/memberships_insert_new",
    "merge/contact_channels_insert_new",
    "merge/tags_insert_new",
    "merge/contact_tags_insert_new",
    "merge/consent_events_insert",
)


# A batch merges once the gate passed it, or a reviewer approved it.
MERGEABLE = ("validated", "approved")


class MergeError(RuntimeError):
    """The batch is not in a state that can merge."""


@dataclass(frozen=True)
class MergeResult:
    batch_id: int
    new_contacts: int
    merged_contacts: int
    already_merged: bool


def merge_batch(conn: duckdb.DuckDBPyConnection, batch_id: int) -> MergeResult:
    """Merge the accepted rows of a checked batch. A merged batch is left as it is."""
    row = conn.execute(
        "select status, manifest, new_contacts, merged_contacts from ops.batches where batch_id = ?",
        [batch_id]).fetchone()
    if row is None:
        raise MergeError(f"no batch {batch_id}")
    status, manifest_json, new, merged = row
    if status == "merged":
        return MergeResult(batch_id, new, merged, already_merged=True)
    if status not in MERGEABLE:
        raise MergeError(f"batch {batch_id} is {status}: only a validated or approved batch merges")
    manifest = json.loads(manifest_json)
    params = {
        "batch_id": batch_id,
        "manifest_tags": list(manifest.get("tags") or []),
        "consent_source": manifest["consent_source"],
        "consent_method": manifest["consent_method"],
    }
    with warehouse.transaction(conn):
        for step in STEPS:
            warehouse.run(conn, step, **params)
        new, merged = warehouse.run(conn, "merge/batch_mark_merged", batch_id=batch_id).fetchone()
        conn.execute("drop table if exists incoming_contacts; drop table if exists contact_matches")
    log.info("batch %d merged: %d new contacts, %d existing contacts updated", batch_id, new, merged)
    return MergeResult(batch_id, new, merged, already_merged=False)
