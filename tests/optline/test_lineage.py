"""optline.lineage: the datasets each step reads and writes, checked against a migrated warehouse
and the SQL the step runs. (The events they end up in: tests/dags/test_lineage.py.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from optline import lineage
from tests.conftest import PROJECT

STEPS = {name: value for name, value in vars(lineage).items() if isinstance(value, lineage.Step)}

# An intake kind's SQL folder -> its one step: what the folder's statements write is what the step says.
FOLDER_STEPS = {"optouts": lineage.OPTOUT_APPLY, "inbound": lineage.INBOUND_APPLY, "listops": lineage.TOUCHUP_APPLY,
                "confirmations": lineage.CONFIRMATIONS_APPLY, "delivery": lineage.DELIVERY_APPLY}
CONTACT_FOLDERS = ("staging", "rules", "phones", "merge")
CONTACT_STEPS = (lineage.CONTACT_STAGE, lineage.CONTACT_CHECK, lineage.CONTACT_VALIDATE, lineage.CONTACT_MERGE)
_WRITE = re.compile(r"^\s*(?:insert\s+into|update|delete\s+from)\s+([a-z_]+\.[a-z_]+)", re.IGNORECASE | re.MULTILINE)


def written_by(*folders: str) -> set[str]:
    return {target for folder in folders for path in (PROJECT / "sql" / folder).glob("*.sql")
            for target in _WRITE.findall(path.read_text(encoding="utf-8"))}


def columns_of(conn, qualified: str) -> set[str]:
    schema, name = qualified.split(".")
    return {c for (c,) in conn.execute("select column_name from information_schema.columns "
                                       "where table_schema = ? and table_name = ?", [schema, name]).fetchall()}


def test_every_table_a_step_names_is_a_table_or_view_of_a_migrated_warehouse(conn):
    found = {f"{s}.{n}" for s, n in conn.execute(
        "select table_schema, table_name from information_schema.tables").fetchall()}
    named = {t for step in STEPS.values() for t in (*step.reads, *step.writes)}
    assert named and named <= found, sorted(named - found)


@pytest.mark.parametrize("folder", sorted(FOLDER_STEPS))
def test_an_intake_step_writes_exactly_the_tables_its_sql_folder_writes(folder):
    assert set(FOLDER_STEPS[folder].writes) == written_by(folder)


def test_the_contact_import_steps_write_every_table_its_sql_writes():
    steps = {t for step in CONTACT_STEPS for t in step.writes}
    assert written_by(*CONTACT_FOLDERS) <= steps, sorted(written_by(*CONTACT_FOLDERS) - steps)


def test_a_table_is_named_as_its_asset_and_a_view_is_marked():
    contacts = lineage.table("core.contacts")
    assert (contacts.namespace, contacts.name, contacts.view) == ("duckdb://optline", "optline.core.contacts", False)
    assert lineage.table("marts.audiences").view
    with pytest.raises(ValueError, match="schema.table"):
        lineage.table("contacts")


def test_the_views_a_write_changes_are_found_through_views_and_macros():
    # marts.audiences reads core.suppressed_numbers, which calls the macro core.consent_state_of,
    # which reads the ledger
    assert {"core.suppressed_numbers", "core.consent_state", "marts.audiences"} <= lineage.views_changed_by(
        ["core.consent_events"])
    assert "marts.audiences" in lineage.views_changed_by(["core.contacts"])
    assert "marts.audiences" not in lineage.views_changed_by(["msg.send_attempts", "ops.expectation_results"])


def test_merge_column_lineage_names_real_columns_and_covers_every_contact_column_from_the_file(conn):
    sources = {f.dataset for fields in lineage.CONTACT_COLUMNS.values() for f in fields}
    for source in sources:
        used = {f.column for fields in lineage.CONTACT_COLUMNS.values() for f in fields if f.dataset == source}
        assert used <= columns_of(conn, source), (source, sorted(used - columns_of(conn, source)))
    assert set(lineage.CONTACT_COLUMNS) == columns_of(conn, "core.contacts") - lineage.CONTACT_COLUMNS_FROM_NO_COLUMN
    inputs, outputs = lineage.datasets(lineage.CONTACT_MERGE)
    [contacts] = [d for d in outputs if d.name == "optline.core.contacts"]
    assert dict(contacts.columns)["first_name"] == (lineage.Field("staging.row_outcomes", "first_name"),)


def test_an_input_file_is_named_by_its_path_under_the_data_folder(data_dir: Path, tmp_path: Path):
    assert lineage.data_file(data_dir / "inbox" / "store_events.xlsx") == lineage.Dataset(
        "file://optline", "inbox/store_events.xlsx")
    elsewhere = tmp_path / "elsewhere" / "list.csv"
    assert lineage.data_file(elsewhere).name == elsewhere.resolve().as_posix()


def test_dispatch_outputs_what_the_provider_was_handed_and_views_follow_its_tables():
    inputs, outputs = lineage.datasets(lineage.DISPATCH, sent_to="sandbox")
    assert [d.name for d in inputs] == ["optline.msg.outbox", "optline.core.suppressed_numbers"]
    assert outputs[-1] == lineage.Dataset("provider://sandbox", "messages")
    assert lineage.table("marts.import_conversion") in outputs  # it reads msg.outbox
