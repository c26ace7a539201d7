"""List touch-up files: members, tags, suspension, and what is refused."""

from __future__ import annotations

import datetime as dt

import pytest

from optline.contacts import pipeline
from optline.contacts.listops import apply_file
from optline.intake.readers import MalformedFileError
from optline.runs import RunContext
from tests.helpers import write_csv

AS_OF = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def two_contacts(conn, data_dir):
    path = write_csv(data_dir / "inbox" / "a.csv", [["phone", "first_name", "dob", "opt_in"],
                                                    ["(415) 555-0101", "Ann", "1990-01-01", "2026-10-01"],
                                                    ["(415) 555-0102", "Bo", "1990-01-01", "2026-10-01"]],
                     lists=["Main"], tags=["vip"])
    pipeline.import_file(conn, path, RunContext(as_of=AS_OF), data_dir / "reports")
    return conn


def ops(tmp_path, rows, name="ops.csv"):
    path = tmp_path / name
    lines = [",".join(r) for r in [["action", "phone", "list", "tag"], *rows]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def members(conn):
    return conn.execute("""select l.name, c.first_name, m.status from core.memberships m
        join core.lists l using (list_id) join core.contacts c using (contact_id) order by 1, 2""").fetchall()


def test_members_are_added_to_new_lists_and_removed_from_old_ones(two_contacts, tmp_path):
    result = apply_file(two_contacts, ops(tmp_path, [["add_member", "(415) 555-0101", "VIP Club", ""],
                                                    ["remove_member", "4155550102", "main", ""]]))
    assert dict(result.applied) == {"add_member": 1, "remove_member": 1} and result.rejected == []
    assert members(two_contacts) == [("Main", "Ann", "pending"), ("VIP Club", "Ann", "active")]


def test_tags_are_added_and_removed_ignoring_case(two_contacts, tmp_path):
    apply_file(two_contacts, ops(tmp_path, [["add_tag", "(415) 555-0101", "", "Gold"],
                                           ["remove_tag", "(415) 555-0102", "", "VIP"]]))
    tags = two_contacts.execute("""select c.first_name, list(t.name order by t.name) from core.contact_tags ct
        join core.tags t using (tag_id) join core.contacts c using (contact_id) group by 1 order by 1""").fetchall()
    assert tags == [("Ann", ["Gold", "vip"])]


def test_a_suspended_number_leaves_every_audience_until_reactivated(two_contacts, tmp_path):
    audience = lambda: two_contacts.execute("select e164_masked from marts.audiences order by 1").fetchall()  # noqa: E731
    assert len(audience()) == 2
    apply_file(two_contacts, ops(tmp_path, [["suspend", "(415) 555-0101", "", ""]], "s.csv"))
    assert audience() == [("••••••••••02",)]
    apply_file(two_contacts, ops(tmp_path, [["reactivate", "(415) 555-0101", "", ""]], "r.csv"))
    assert len(audience()) == 2


def test_bad_rows_are_rejected_with_reasons_and_the_rest_applies(two_contacts, tmp_path):
    result = apply_file(two_contacts, ops(tmp_path, [["explode", "(415) 555-0101", "", ""],
                                                    ["add_member", "(415) 555-0101", "", ""],
                                                    ["add_tag", "555-0100", "", "x"],
                                                    ["add_tag", "(415) 555-0199", "", "x"],
                                                    ["add_tag", "(415) 555-0102", "", "ok"]]))
    assert result.lines_read == 5 and dict(result.applied) == {"add_tag": 1}
    assert [(row, reason.split()[0]) for row, reason in result.rejected] == [
        (1, "unknown"), (2, "add_member"), (3, "invalid_number"), (4, "unknown_number:")]


def test_a_file_without_an_action_column_fails_whole(two_contacts, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("phone,list\n(415) 555-0101,Main\n", encoding="utf-8")
    with pytest.raises(MalformedFileError, match="action"):
        apply_file(two_contacts, path)
