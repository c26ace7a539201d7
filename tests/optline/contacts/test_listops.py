"""List touch-up files: members (pending unless the row carries opt-in evidence), tags,
suspension, what the ledger refuses, and the lineage every input gets (batch, line, run,
report; the same file twice changes nothing)."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest

from optline.consent import ledger
from optline.contacts import pipeline
from optline.contacts.listops import apply_file
from optline.intake.readers import MalformedFileError
from optline.messaging import outbox
from optline.messaging.settings import WelcomeSettings
from optline.runs import RunContext
from tests.helpers import warehouse_snapshot, write_csv

AS_OF = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
RUN = RunContext(as_of=AS_OF, dag_id="list_touchups", run_id="run-1")
HEADER = ["action", "phone", "list", "tag", "opted_in_at", "source"]


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
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows([HEADER, *[r + [""] * (len(HEADER) - len(r)) for r in rows]])
    return path


def touchup(conn, path, data_dir):
    return apply_file(conn, path, RUN, data_dir / "reports")


def members(conn):
    return conn.execute("""select l.name, c.first_name, m.status from core.memberships m
        join core.lists l using (list_id) join core.contacts c using (contact_id) order by 1, 2""").fetchall()


def outcomes(conn, batch_id):
    return conn.execute("""select row_number, outcome, reason from staging.touchup_rows
        where batch_id = ? order by row_number""", [batch_id]).fetchall()


def test_an_add_member_without_evidence_is_pending_gets_a_welcome_and_is_never_an_active_audience_member(
        two_contacts, tmp_path, data_dir):
    result = touchup(two_contacts, ops(tmp_path, [["add_member", "(415) 555-0101", "VIP Club"]]), data_dir)
    assert (result.applied, result.rejected, result.members_pending, result.members_active) == (1, 0, 1, 0)
    assert ("VIP Club", "Ann", "pending") in members(two_contacts)
    assert two_contacts.execute("select count(*) from core.consent_events where batch_id = ?",
                                [result.batch_id]).fetchone()[0] == 0
    assert two_contacts.execute("""select status from marts.audiences where list_name = 'VIP Club'""").fetchall() == [
        ("pending",)]

    outbox.enqueue_welcomes(two_contacts, WelcomeSettings(), AS_OF)
    welcomes = two_contacts.execute("""select o.e164, o.kind, o.status, o.batch_id from msg.outbox o
        join core.lists l using (list_id) where l.name = 'VIP Club'""").fetchall()
    assert welcomes == [("+14155550101", "welcome", "queued", result.batch_id)]


def test_an_add_member_with_opt_in_evidence_records_an_opt_in_event_and_an_active_membership(
        two_contacts, tmp_path, data_dir):
    result = touchup(two_contacts, ops(tmp_path, [
        ["add_member", "(415) 555-0101", "VIP Club", "", "2026-10-20T10:00:00Z", "paper form, store 4"]]), data_dir)
    assert (result.applied, result.members_active, result.events_appended) == (1, 1, 1)
    assert ("VIP Club", "Ann", "active") in members(two_contacts)
    events = two_contacts.execute("""select e.kind, e.scope, e.effective_at, e.source, e.method, c.first_name,
            e.row_number, e.dag_id, e.run_id
        from core.consent_events e join core.contacts c using (contact_id)
        where e.batch_id = ?""", [result.batch_id]).fetchall()
    assert events == [("opt_in", "sms", dt.datetime(2026, 10, 20, 10, 0, tzinfo=dt.UTC), "paper form, store 4",
                       "touchup", "Ann", 1, "list_touchups", "run-1")]
    assert outbox.enqueue_welcomes(two_contacts, WelcomeSettings(), AS_OF).by_list.get("VIP Club") is None


def test_evidence_in_the_future_without_a_source_or_unreadable_is_rejected_with_a_reason(
        two_contacts, tmp_path, data_dir):
    result = touchup(two_contacts, ops(tmp_path, [
        ["add_member", "(415) 555-0101", "VIP Club", "", "2026-11-02T09:00:00Z", "web form"],
        ["add_member", "(415) 555-0101", "VIP Club", "", "2026-10-20", ""],
        ["add_member", "(415) 555-0101", "VIP Club", "", "last tuesday", "web form"],
        ["add_member", "(415) 555-0101", "VIP Club", "", "", "web form"]]), data_dir)
    assert outcomes(two_contacts, result.batch_id) == [
        (1, "rejected", "future_opted_in_at"), (2, "rejected", "missing_source"),
        (3, "rejected", "invalid_opted_in_at"), (4, "rejected", "missing_opted_in_at")]
    assert [m for m in members(two_contacts) if m[0] == "VIP Club"] == []


def test_a_number_the_ledger_suppressed_is_refused_previously_opted_out_even_with_evidence(
        two_contacts, tmp_path, data_dir):
    ledger.append(two_contacts, [ledger.Event("+14155550101", "all", "opt_out", AS_OF - dt.timedelta(days=2),
                                              "support desk", "phone_call")])
    result = touchup(two_contacts, ops(tmp_path, [
        ["add_member", "(415) 555-0101", "VIP Club"],
        ["add_member", "(415) 555-0101", "Other", "", "2026-10-31T10:00:00Z", "paper form"],
        ["suspend", "(415) 555-0101"],
        ["reactivate", "(415) 555-0101"],
        ["add_member", "(415) 555-0102", "VIP Club"]]), data_dir)
    assert outcomes(two_contacts, result.batch_id) == [
        (1, "rejected", "previously_opted_out"), (2, "rejected", "previously_opted_out"), (3, "applied", None),
        (4, "rejected", "previously_opted_out"), (5, "applied", None)]
    assert [m for m in members(two_contacts) if m[0] != "Main"] == [("VIP Club", "Bo", "pending")]
    assert two_contacts.execute("select count(*) from core.consent_events where kind = 'opt_in' and batch_id = ?",
                                [result.batch_id]).fetchone()[0] == 0


def test_the_same_file_twice_changes_nothing(two_contacts, tmp_path, data_dir):
    path = ops(tmp_path, [["add_member", "(415) 555-0101", "VIP Club", "", "2026-10-20T10:00:00Z", "paper form"],
                          ["add_tag", "(415) 555-0102", "", "gold"], ["suspend", "(415) 555-0102"]])
    first = touchup(two_contacts, path, data_dir)
    before = warehouse_snapshot(two_contacts)
    again = apply_file(two_contacts, path, RunContext(as_of=AS_OF + dt.timedelta(hours=1), run_id="run-2"),
                       data_dir / "reports")
    assert (again.status, again.batch_id, again.events_appended) == ("already applied", first.batch_id, 0)
    assert warehouse_snapshot(two_contacts) == before


def test_every_line_ends_applied_or_rejected_with_a_reason_its_line_and_a_masked_report(
        two_contacts, tmp_path, data_dir):
    result = touchup(two_contacts, ops(tmp_path, [["explode", "(415) 555-0101"],
                                                  ["add_member", "(415) 555-0101"],
                                                  ["add_tag", "555-0100", "", "x"],
                                                  ["add_tag", "(415) 555-0199", "", "x"],
                                                  ["add_tag", "(415) 555-0102", "", "ok"]]), data_dir)
    assert (result.lines_read, result.applied, result.rejected) == (5, 1, 4)
    assert result.rejected_by_reason == {"unknown_action": 1, "missing_list": 1, "invalid_number": 1,
                                         "unknown_number": 1}
    lineage = two_contacts.execute("""select r.row_number, r.line_number, b.file_name, b.run_id, b.dag_id
        from staging.touchup_rows r join ops.touchup_batches b using (batch_id)
        where b.batch_id = ? order by 1""", [result.batch_id]).fetchall()
    assert lineage == [(n, n + 1, "ops.csv", "run-1", "list_touchups") for n in range(1, 6)]

    report = data_dir / "reports" / "touchups" / f"{result.batch_id:06d}"
    assert json.loads((report / "summary.json").read_text())["rejected_by_reason"]["unknown_number"] == 1
    rows = (report / "rows.csv").read_text(encoding="utf-8-sig")
    assert "unknown_action" in rows and "555-0199" not in rows and "••••99" in rows.replace("-", "")
    assert "555" not in json.dumps(result.as_xcom())


def test_members_are_added_pending_to_new_lists_and_removed_from_old_ones(two_contacts, tmp_path, data_dir):
    result = touchup(two_contacts, ops(tmp_path, [["add_member", "(415) 555-0101", "VIP Club"],
                                                  ["remove_member", "4155550102", "main"]]), data_dir)
    assert result.applied_by_action == {"add_member": 1, "remove_member": 1} and result.rejected == 0
    assert members(two_contacts) == [("Main", "Ann", "pending"), ("VIP Club", "Ann", "pending")]


def test_tags_are_added_and_removed_ignoring_case(two_contacts, tmp_path, data_dir):
    touchup(two_contacts, ops(tmp_path, [["add_tag", "(415) 555-0101", "", "Gold"],
                                         ["remove_tag", "(415) 555-0102", "", "VIP"]]), data_dir)
    tags = two_contacts.execute("""select c.first_name, list(t.name order by t.name) from core.contact_tags ct
        join core.tags t using (tag_id) join core.contacts c using (contact_id) group by 1 order by 1""").fetchall()
    assert tags == [("Ann", ["Gold", "vip"])]


def test_a_suspended_number_leaves_every_audience_until_reactivated(two_contacts, tmp_path, data_dir):
    audience = lambda: two_contacts.execute("select e164_masked from marts.audiences order by 1").fetchall()  # noqa: E731
    assert len(audience()) == 2
    touchup(two_contacts, ops(tmp_path, [["suspend", "(415) 555-0101"]], "s.csv"), data_dir)
    assert audience() == [("••••••••••02",)]
    touchup(two_contacts, ops(tmp_path, [["reactivate", "(415) 555-0101"]], "r.csv"), data_dir)
    assert len(audience()) == 2


def test_a_file_without_an_action_column_fails_whole(two_contacts, tmp_path, data_dir):
    path = tmp_path / "bad.csv"
    path.write_text("phone,list\n(415) 555-0101,Main\n", encoding="utf-8")
    before = warehouse_snapshot(two_contacts)
    with pytest.raises(MalformedFileError, match="action"):
        touchup(two_contacts, path, data_dir)
    assert warehouse_snapshot(two_contacts) == before


# --- bounds: no free text is stored past its limit -------------------------------------------

@pytest.mark.parametrize("column", ["action", "phone", "list", "tag", "opted_in_at", "source"])
def test_an_overlong_cell_rejects_its_row_and_is_not_stored(two_contacts, tmp_path, data_dir, column):
    from optline.contacts.listops import MAX_CELL_CHARS

    row = {"action": "add_tag", "phone": "(415) 555-0101", "list": "", "tag": "gold", "opted_in_at": "",
           "source": ""}
    row[column] = (row[column] or "x") + "x" * 1000
    path = ops(tmp_path, [[row[h] for h in HEADER], ["add_tag", "(415) 555-0102", "", "silver"]])
    result = touchup(two_contacts, path, data_dir)
    assert outcomes(two_contacts, result.batch_id) == [(1, "rejected", "field_too_long"), (2, "applied", None)]
    longest = two_contacts.execute("""select max(greatest(length(action_raw), length(list_name), length(tag),
        length(opted_in_at_raw), length(source), length(phone_masked))) from staging.touchup_rows""").fetchone()[0]
    assert longest <= max(MAX_CELL_CHARS.values())
    tags = [r[0] for r in two_contacts.execute("select name from core.tags order by 1").fetchall()]
    assert all(len(t) < 100 for t in tags) and "silver" in tags
