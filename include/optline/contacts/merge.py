"""Merge a checked batch into the core tables, in one transaction.

Numbers, lists, contacts (same number + same names merge; blank cells never overwrite),
memberships, channels, tags, the manifest's consent disclosure (once: core.consent_disclosures),
and one opt-in consent event per accepted row, pointing at it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import duckdb

from optline import failpoints, ids, progress, warehouse
from optline.consent import disclosures
from optline.contacts.batch import Batch

log = logging.getLogger(__name__)

# In order: each step may rely on the ones before it. A scratch table only one step reads is
# dropped right after it (what the transaction holds counts against DuckDB's memory limit).
STEPS = (
    "merge/lists_insert_new",
    "merge/phone_numbers_insert_new",
    "merge/incoming_contacts_create",
    "merge/new_named_contacts_create",
    "merge/contacts_insert_new_named",
    "merge/new_named_contacts_drop",
    "merge/new_nameless_contacts_create",
    "merge/contacts_insert_new_nameless",
    "merge/new_nameless_contacts_drop",
    "merge/contact_matches_create",
    "merge/contacts_update_matched",
    "merge/incoming_contacts_drop",
    "merge/row_contacts_insert",
    "merge/memberships_insert_new",
    "merge/contact_channels_insert_new",
    "merge/tags_insert_new",
    "merge/contact_tags_insert_new",
    "merge/consent_disclosures_insert_new",
    "merge/batch_opt_ins_create",
    "merge/consent_events_insert",
    "merge/batch_opt_ins_drop",
)
# The steps that insert rows with new ids, and the kind of id each numbers its rows with (optline.ids).
NUMBERED = {
    "merge/lists_insert_new": "list_id",
    "merge/contacts_insert_new_named": "contact_id",
    "merge/contacts_insert_new_nameless": "contact_id",
    "merge/tags_insert_new": "tag_id",
    "merge/consent_events_insert": "consent_event_id",
}
# The scratch tables the steps create, dropped once the batch is merged.
CLEANUP = ("merge/contact_matches_drop",)


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


def merge_batch(conn: duckdb.DuckDBPyConnection, batch: Batch) -> MergeResult:
    """Merge the accepted rows of a checked batch. A merged batch is left as it is."""
    batch_id = batch.batch_id
    if batch.status == "merged":
        new, merged = warehouse.run(conn, "merge/batch_merged_counts", batch_id=batch_id).fetchone()
        return MergeResult(batch_id, new, merged, already_merged=True)
    if batch.status not in MERGEABLE:
        raise MergeError(f"batch {batch_id} is {batch.status}: only a validated or approved batch merges")
    params = {
        "batch_id": batch_id,
        "manifest_tags": list(batch.settings.get("tags") or []),
        "consent_source": batch.settings["consent_source"],
        "consent_method": batch.settings["consent_method"],
        **disclosures.merge_params(batch.settings),  # what was shown, and why (16 CFR 310.5(a)(8))
    }
    with (warehouse.bulk_write_memory(conn), warehouse.transaction(conn),
          progress.Progress(f"batch {batch_id}: merging", len(STEPS), "steps") as shown):
        for number, step in enumerate(STEPS, start=1):
            started = time.perf_counter()
            if step in NUMBERED:
                ids.insert(conn, step, NUMBERED[step], **params)
            else:
                warehouse.run(conn, step, **params)
            log.info("batch %d merge step %d/%d %s: %.1f s", batch_id, number, len(STEPS),
                     step.removeprefix("merge/"), time.perf_counter() - started)
            shown.advance(1)
        failpoints.reached("during_merge")
        warehouse.run(conn, "merge/batch_mark_merged", batch_id=batch_id)
        new, merged = warehouse.run(conn, "merge/batch_merged_counts", batch_id=batch_id).fetchone()
        for step in CLEANUP:
            warehouse.run(conn, step)
    log.info("batch %d merged: %d new contacts, %d existing contacts updated", batch_id, new, merged)
    return MergeResult(batch_id, new, merged, already_merged=False)
