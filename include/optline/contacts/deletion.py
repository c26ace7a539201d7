"""Deleting people: the personal data goes everywhere, the suppression stays.

A deletion names its people one of three ways: everyone, one list's members, or one number
(`number=`, parsed with phonenumbers in `default_country`: every contact at it, and the number
itself even where no contact has it). In one transaction it removes the contacts, their
memberships, tags and channels, the numbers no other contact uses, and the staged copies of
their rows in every batch whatever its status (merged, held, rejected, refused), so a held
batch approved later cannot bring them back. Rows it must keep lose the person but keep the
evidence: the opt-out files' rows keep lineage, date and scope (the ledger's event, keyed by
HMAC, is the evidence); received texts and web confirmations keep their HMAC, times and
outcome; the outbox keeps what it did. Scope all empties every one of them. The reports of
every batch it touched are written again from what is left (rejects.csv, the opt-out files'
rows.csv, the inbound opt_outs.csv, the web confirmations' summary.json).
The consent ledger is not touched: it names numbers by keyed HMAC only, so a deleted number
that opted out is still refused when it is imported again. On a lake the deletion then expires
the history that still held them (`warehouse.forget_history`): time travel to before it ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from optline import warehouse
from optline.config import hmac_key, paths
from optline.phones import number_hmac, parse_phone

# The scratch tables naming what goes, in order: each may read the ones before it.
DOOMED = (
    "deletion/doomed_contacts_create",
    "deletion/doomed_numbers_create",
    "deletion/doomed_rows_create",
    "deletion/doomed_optout_rows_create",
)
# Steps whose returned rows are not needed, in order.
STEPS = (
    "deletion/outbox_cancel_queued",
    "deletion/memberships_delete",
    "deletion/contact_tags_delete",
    "deletion/contact_channels_delete",
    "deletion/contacts_delete",
    "deletion/staged_outcomes_delete",
    "deletion/staged_row_contacts_delete",
)
# The steps whose batches' reports are written again, each after the query naming the batches it
# is about to touch (read first: no backend's RETURNING is needed), in order.
TOUCHING = (
    ("batches", "deletion/staged_rows_delete", "deletion/staged_rows_delete_batches"),
    ("optouts", "deletion/optout_rows_scrub", "deletion/optout_rows_scrub_batches"),
    ("inbound", "deletion/inbound_messages_scrub", "deletion/inbound_messages_scrub_batches"),
    ("confirmations", "deletion/web_confirmations_scrub", "deletion/web_confirmations_scrub_batches"),
)
# After the staged rows and the scrubs.
LATE_STEPS = (
    "deletion/phone_parses_delete",
    "deletion/optout_outcomes_scrub",
    "deletion/optout_phone_parses_delete",
    "deletion/optout_numbers_delete",
    "deletion/phone_numbers_delete",
)
CLEANUP = (
    "deletion/doomed_contacts_drop",
    "deletion/doomed_numbers_drop",
    "deletion/doomed_rows_drop",
    "deletion/doomed_optout_rows_drop",
)


@dataclass(frozen=True)
class DeletionResult:
    contacts_deleted: int
    numbers_deleted: int
    staged_rows_deleted: int
    rows_scrubbed: int = 0
    reports_rewritten: int = 0


def delete_contacts(conn: duckdb.DuckDBPyConnection, *, list_name: str | None = None, everyone: bool = False,
                    number: str | None = None, default_country: str = "US", requested_by: str,
                    reports_dir: Path | None = None) -> DeletionResult:
    """Delete one list's contacts (`list_name`), one number's (`number`) or all (`everyone=True`),
    in one transaction, and write the touched reports under `reports_dir` (default: the
    configured reports folder) again."""
    if sum((everyone, list_name is not None, number is not None)) != 1:
        raise ValueError("say either list_name=..., number=... or everyone=True")
    e164 = ""
    if number is not None:
        e164 = parse_phone(number, default_country).e164 or ""
        if not e164:
            raise ValueError(f"{number!r} is not a valid phone number (default country {default_country}): "
                             "give it in E.164 (+1 415 555 0101) or pass the right default country")
    scope = "all" if everyone else ("list" if list_name is not None else "number")
    params = {"scope": scope, "list_name": list_name or "", "e164": e164}
    folder = reports_dir if reports_dir is not None else paths().reports
    with warehouse.transaction(conn):
        for step in DOOMED:
            warehouse.run(conn, step, **params)
        contacts = _count(conn, "deletion/doomed_contacts_count")
        numbers = _count(conn, "deletion/doomed_numbers_count")
        staged = _count(conn, "deletion/doomed_rows_count")
        for step in STEPS:
            warehouse.run(conn, step, **params)
        touched = {}
        for kind, step, batches in TOUCHING:
            touched[kind] = [row[0] for row in warehouse.run(conn, batches, **params).fetchall()]
            warehouse.run(conn, step, **params)
        scrubbed = _count(conn, "deletion/outbox_scrub_count")
        warehouse.run(conn, "deletion/outbox_scrub", **params)
        scrubbed += sum(len(ids) for kind, ids in touched.items() if kind != "batches")
        for step in LATE_STEPS:
            warehouse.run(conn, step, **params)
        rewritten = _rewrite_reports(conn, touched, folder)
        warehouse.run(conn, "deletion/deletion_insert", scope=scope, list_name=list_name,
                      number_hmac=number_hmac(e164, hmac_key()) if e164 else None, requested_by=requested_by,
                      contacts_deleted=contacts, numbers_deleted=numbers, staged_rows_deleted=staged,
                      rows_scrubbed=scrubbed, reports_rewritten=rewritten)
        for step in CLEANUP:
            warehouse.run(conn, step)
    warehouse.forget_history(conn)  # a lake's snapshots still hold them: expired, files rewritten
    return DeletionResult(contacts, numbers, staged, scrubbed, rewritten)


def _count(conn: duckdb.DuckDBPyConnection, name: str) -> int:
    return warehouse.run(conn, name).fetchone()[0]


def _rewrite_reports(conn: duckdb.DuckDBPyConnection, touched: dict[str, list[int]], reports_dir: Path) -> int:
    """Write again, from the warehouse as the deletion left it, every report file of a touched
    batch that exists: the deleted people's lines (even masked) are gone from it."""
    from optline.consent import confirmations, inbound, optouts
    from optline.intake.report_dirs import report_dir
    from optline.reports import batches

    written = 0
    for batch_id in touched["batches"]:
        if batches.rejects_csv_path(reports_dir, batch_id).exists():
            batches.write_rejects_csv(conn, batch_id, reports_dir)
            written += 1
    for batch_id in touched["optouts"]:
        if report_dir(reports_dir, optouts.KIND, batch_id).exists():
            optouts.write_report(conn, optouts.result_for(conn, batch_id, reports_dir), reports_dir)
            written += 1
    for batch_id in touched["inbound"]:
        if report_dir(reports_dir, inbound.KIND, batch_id).exists():
            inbound.write_report(conn, inbound.result_for(conn, batch_id, reports_dir, already_imported=False),
                                 reports_dir)
            written += 1
    for batch_id in touched["confirmations"]:
        if report_dir(reports_dir, confirmations.KIND, batch_id).exists():
            country = warehouse.run(conn, "deletion/confirmation_batch_country", batch_id=batch_id).fetchone()[0]
            confirmations.write_report(
                conn, confirmations.result_for(conn, batch_id, reports_dir, already_imported=False), reports_dir,
                default_country=country)
            written += 1
    return written
