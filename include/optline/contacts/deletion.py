"""Deleting contacts: the personal data goes, the suppression stays.

A deletion removes the contacts (one list's members, or everyone), their memberships,
tags and channels, the numbers no other contact uses, and the staged copies of their rows;
their queued messages are cancelled and the outbox forgets their numbers and texts; received
texts and web confirmations keep their HMAC and times but lose the number. (The opt-out
files' staged rows keep theirs: they are the opt-out evidence; see docs/optouts.md.)
The consent ledger is not touched: it names numbers by keyed HMAC only, so a deleted number
that opted out is still refused when it is imported again.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from optline import warehouse

STEPS = (
    "deletion/outbox_cancel_queued",
    "deletion/outbox_scrub",
    "deletion/inbound_messages_scrub",
    "deletion/web_confirmations_scrub",
    "deletion/memberships_delete",
    "deletion/contact_tags_delete",
    "deletion/contact_channels_delete",
    "deletion/contacts_delete",
    "deletion/staged_outcomes_delete",
    "deletion/staged_rows_delete",
    "deletion/phone_parses_delete",
    "deletion/phone_numbers_delete",
)
# The scratch tables the deletion creates, dropped once it is recorded.
CLEANUP = ("deletion/doomed_contacts_drop", "deletion/doomed_numbers_drop")


@dataclass(frozen=True)
class DeletionResult:
    contacts_deleted: int
    numbers_deleted: int
    staged_rows_deleted: int


def delete_contacts(conn: duckdb.DuckDBPyConnection, *, list_name: str | None = None, everyone: bool = False,
                    requested_by: str) -> DeletionResult:
    """Delete one list's contacts (`list_name`) or all of them (`everyone=True`), in one transaction."""
    if everyone == (list_name is not None):
        raise ValueError("say either list_name=... or everyone=True")
    with warehouse.transaction(conn):
        warehouse.run(conn, "deletion/doomed_contacts_create", everyone=everyone, list_name=list_name or "")
        warehouse.run(conn, "deletion/doomed_numbers_create")
        contacts = _count(conn, "deletion/doomed_contacts_count")
        numbers = _count(conn, "deletion/doomed_numbers_count")
        staged_before = _count(conn, "deletion/staged_rows_count")
        for step in STEPS:
            warehouse.run(conn, step)
        staged = staged_before - _count(conn, "deletion/staged_rows_count")
        warehouse.run(conn, "deletion/deletion_insert", scope="all" if everyone else "list", list_name=list_name,
                      requested_by=requested_by, contacts_deleted=contacts, numbers_deleted=numbers,
                      staged_rows_deleted=staged)
        for step in CLEANUP:
            warehouse.run(conn, step)
    return DeletionResult(contacts, numbers, staged)


def _count(conn: duckdb.DuckDBPyConnection, name: str) -> int:
    return warehouse.run(conn, name).fetchone()[0]
