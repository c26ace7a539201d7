"""Web confirmations: a double opt-in page's export activates pending memberships, records
the confirmation and an opt-in, never lifts an opt-out, and applies each file once."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

from optline.config import hmac_key
from optline.consent import confirmations, inbound
from optline.consent import ledger as consent
from optline.contacts import pipeline
from optline.intake.manifest import ManifestError
from optline.intake.readers import MalformedFileError
from optline.phones import number_hmac
from optline.runs import RunContext
from tests.helpers import warehouse_snapshot, write_csv

AS_OF = dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.UTC)
ANN, BO, CY = "+14155550101", "+14155550102", "+14155550103"
UNKNOWN = "+14155550190"
_files = iter(range(1, 1000))


def when(hours_ago: float) -> str:
    return (AS_OF - dt.timedelta(hours=hours_ago)).strftime("%Y-%m-%d %H:%M:%S")


def import_list(conn, data_dir: Path, numbers: list[str], *, lists=("Spring Promo",), channel: str = "sms") -> None:
    """A real contact import: every number gets a pending membership of each list."""
    rows = [["phone", "first_name", "dob", "opt_in"]]
    rows += [[n, f"Person{i}", "1990-01-01", "2026-10-01"] for i, n in enumerate(numbers)]
    path = write_csv(data_dir / "inbox" / f"list_{next(_files)}.csv", rows, lists=list(lists), channel=channel)
    summary = pipeline.import_file(conn, path, RunContext(as_of=AS_OF), data_dir / "reports")
    assert summary.status == "merged", summary


def export(data_dir: Path, rows: list[list[str]], header=("Phone", "Confirmed At"), *, name: str | None = None,
           manifest: dict | None = None) -> Path:
    folder = data_dir / "confirmations"
    folder.mkdir(exist_ok=True)
    path = folder / (name or f"confirmed_{next(_files)}.csv")
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([list(header), *rows])
    if manifest is not None:
        (folder / f"{path.stem}.manifest.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    return path


def apply(conn, data_dir: Path, rows, header=("Phone", "Confirmed At"), **kw) -> confirmations.ConfirmationResult:
    path = export(data_dir, rows, header, **kw)
    return confirmations.apply_file(conn, path, RunContext(as_of=AS_OF, dag_id="d", run_id="r"), data_dir / "reports")


def statuses(conn) -> list[tuple]:
    return conn.execute("""select lists.name, contacts.e164, memberships.channel, memberships.status
        from core.memberships as memberships
        inner join core.lists as lists using (list_id)
        inner join core.contacts as contacts using (contact_id)
        order by all""").fetchall()


def outcomes(conn, batch_id: int) -> list[tuple]:
    return conn.execute("""select row_number, outcome, reason from staging.web_confirmations
        where batch_id = ? order by row_number""", [batch_id]).fetchall()


def web_events(conn) -> list[tuple]:
    return conn.execute("""select number_hmac, scope, kind, method, source, effective_at, batch_id, row_number
        from core.consent_events where method = 'web_confirmation' order by event_id""").fetchall()


# --- confirming --------------------------------------------------------------------------------

def test_a_confirmed_row_activates_the_pending_membership_and_records_a_web_confirmation_with_lineage(conn, data_dir):
    import_list(conn, data_dir, [ANN])
    result = apply(conn, data_dir, [["(415) 555-0101", when(20)]])
    assert (result.lines_read, result.confirmed, result.ignored, result.invalid) == (1, 1, 0, 0)
    assert result.memberships_confirmed == 1 and not result.already_imported
    assert statuses(conn) == [("Spring Promo", ANN, "sms", "active")]
    hmac = number_hmac(ANN, hmac_key())
    row = conn.execute("""select channel, number_hmac, confirmed_at, method, keyword, batch_id, row_number, recorded_at
        from core.confirmations""").fetchall()
    assert row == [("sms", hmac, AS_OF - dt.timedelta(hours=20), "web", None, result.batch_id, 1, AS_OF)]
    assert outcomes(conn, result.batch_id) == [(1, "confirmed", None)]


def test_a_confirmed_number_gets_an_opt_in_event_keyed_by_its_hmac_never_the_number(conn, data_dir):
    import_list(conn, data_dir, [ANN])
    result = apply(conn, data_dir, [[ANN, when(2)]], manifest={"source": "landing page"})
    assert web_events(conn) == [(number_hmac(ANN, hmac_key()), "sms", "opt_in", "web_confirmation", "landing page",
                                 AS_OF - dt.timedelta(hours=2), result.batch_id, 1)]
    columns = {r[0] for r in conn.execute("describe core.consent_events").fetchall()}
    assert "e164" not in columns
    assert conn.execute("select dag_id, run_id from core.consent_events where method = 'web_confirmation'"
                        ).fetchall() == [("d", "r")]
    assert not consent.is_suppressed(conn, ANN, "sms")


def test_a_list_named_in_the_row_confirms_only_that_lists_membership(conn, data_dir):
    import_list(conn, data_dir, [ANN], lists=("Spring Promo", "VIP"))
    result = apply(conn, data_dir, [[ANN, when(1), "vip"]], header=("phone_number", "timestamp", "list_name"))
    assert result.confirmed == 1 and result.memberships_confirmed == 1
    assert statuses(conn) == [("Spring Promo", ANN, "sms", "pending"), ("VIP", ANN, "sms", "active")]


def test_a_row_without_a_list_confirms_every_pending_membership_of_the_number_on_the_channel(conn, data_dir):
    import_list(conn, data_dir, [ANN], lists=("Spring Promo", "VIP"))
    result = apply(conn, data_dir, [[ANN, when(1)]])
    assert (result.confirmed, result.memberships_confirmed) == (1, 2)
    assert [s[3] for s in statuses(conn)] == ["active", "active"]
    assert len(web_events(conn)) == 1


def test_the_manifests_list_restricts_a_file_without_a_list_column(conn, data_dir):
    import_list(conn, data_dir, [ANN], lists=("Spring Promo", "VIP"))
    apply(conn, data_dir, [[ANN, when(1)]], manifest={"list": "Spring Promo"})
    assert statuses(conn) == [("Spring Promo", ANN, "sms", "active"), ("VIP", ANN, "sms", "pending")]


def test_a_pending_membership_on_another_channel_is_not_confirmed(conn, data_dir):
    import_list(conn, data_dir, [ANN], channel="sms")
    result = apply(conn, data_dir, [[ANN, when(1)]], manifest={"channel": "whatsapp"})
    assert outcomes(conn, result.batch_id) == [(1, "ignored", "no_pending_membership")]
    assert statuses(conn)[0][3] == "pending"


# --- ignored -----------------------------------------------------------------------------------

def test_a_number_without_a_pending_membership_is_ignored_and_changes_nothing(conn, data_dir):
    import_list(conn, data_dir, [ANN])
    result = apply(conn, data_dir, [[UNKNOWN, when(1)]])
    assert (result.confirmed, result.ignored) == (0, 1)
    assert outcomes(conn, result.batch_id) == [(1, "ignored", "no_pending_membership")]
    assert conn.execute("select count(*) from core.confirmations").fetchone()[0] == 0
    assert web_events(conn) == []


def test_a_number_whose_membership_is_active_already_is_ignored_as_already_confirmed(conn, data_dir):
    import_list(conn, data_dir, [ANN])
    first = apply(conn, data_dir, [[ANN, when(5)]])
    second = apply(conn, data_dir, [[ANN, when(1)]])
    assert outcomes(conn, second.batch_id) == [(1, "ignored", "already_confirmed")]
    assert conn.execute("select batch_id, confirmed_at from core.confirmations").fetchall() == [
        (first.batch_id, AS_OF - dt.timedelta(hours=5))]  # the first confirmation stays
    assert len(web_events(conn)) == 1


def test_a_suppressed_number_is_not_activated_by_a_web_confirmation(conn, data_dir):
    import_list(conn, data_dir, [ANN, BO])
    stop = data_dir / "inbound" / "texts.csv"
    stop.parent.mkdir()
    stop.write_text(f"From,Body,Received At\n{ANN},STOP,{when(30)}\n", encoding="utf-8")
    (stop.parent / "texts.manifest.yaml").write_text("channel: sms\n", encoding="utf-8")
    inbound.apply_file(conn, stop, RunContext(as_of=AS_OF), data_dir / "reports")
    assert consent.is_suppressed(conn, ANN, "sms")
    result = apply(conn, data_dir, [[ANN, when(2)], [BO, when(2)]])
    assert outcomes(conn, result.batch_id) == [(1, "ignored", "suppressed"), (2, "confirmed", None)]
    assert statuses(conn) == [("Spring Promo", ANN, "sms", "pending"), ("Spring Promo", BO, "sms", "active")]
    assert consent.is_suppressed(conn, ANN, "sms")  # only the number's own START lifts an opt-out
    assert [e[0] for e in web_events(conn)] == [number_hmac(BO, hmac_key())]


def test_the_earliest_of_a_numbers_rows_confirms_and_the_others_are_duplicates(conn, data_dir):
    import_list(conn, data_dir, [ANN])
    result = apply(conn, data_dir, [[ANN, when(1)], ["415-555-0101", when(3)], [UNKNOWN, when(2)],
                                    [UNKNOWN, when(1)]])
    assert outcomes(conn, result.batch_id) == [(1, "ignored", "duplicate_in_file"), (2, "confirmed", None),
                                               (3, "ignored", "no_pending_membership"),
                                               (4, "ignored", "duplicate_in_file")]
    assert conn.execute("select row_number, confirmed_at from core.confirmations").fetchall() == [
        (2, AS_OF - dt.timedelta(hours=3))]


# --- invalid -----------------------------------------------------------------------------------

def test_invalid_rows_are_invalid_with_their_reasons_and_confirm_nothing(conn, data_dir):
    import_list(conn, data_dir, [ANN])
    result = apply(conn, data_dir, [
        ["", when(1), ""],
        ["555-01", when(1), ""],
        [ANN, "", ""],
        [ANN, "31/31/2026", ""],
        [ANN, when(-1), ""],
        [ANN, when(1), "No Such List"],
        ["", "", ""],
    ], header=("Mobile", "Date", "List"))
    assert outcomes(conn, result.batch_id) == [
        (1, "invalid", "missing_number"), (2, "invalid", "invalid_number"), (3, "invalid", "missing_confirmed_at"),
        (4, "invalid", "invalid_confirmed_at"), (5, "invalid", "future_confirmed_at"), (6, "invalid", "unknown_list"),
        (7, "invalid", "blank_row")]
    assert (result.confirmed, result.ignored, result.invalid) == (0, 0, 7)
    assert statuses(conn)[0][3] == "pending" and web_events(conn) == []


def test_a_confirmation_time_after_the_runs_clock_is_invalid(conn, data_dir):
    import_list(conn, data_dir, [ANN, BO])
    at_clock = AS_OF.strftime("%Y-%m-%dT%H:%M:%SZ")
    later = (AS_OF + dt.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    result = apply(conn, data_dir, [[ANN, at_clock], [BO, later]])
    assert outcomes(conn, result.batch_id) == [(1, "confirmed", None), (2, "invalid", "future_confirmed_at")]


def test_lines_read_are_confirmed_plus_ignored_plus_invalid(conn, data_dir):
    import_list(conn, data_dir, [ANN, BO])
    result = apply(conn, data_dir, [[ANN, when(1)], [BO, when(1)], [BO, when(2)], [UNKNOWN, when(1)],
                                    ["12345", when(1)], [CY, "yesterday"]])
    assert (result.lines_read, result.confirmed, result.ignored, result.invalid) == (6, 2, 2, 2)
    batch = conn.execute("""select lines_read, confirmed, ignored, invalid, memberships_confirmed
        from ops.confirmation_batches where batch_id = ?""", [result.batch_id]).fetchone()
    assert batch == (6, 2, 2, 2, 2)


def test_a_batch_whose_counts_do_not_reconcile_is_rolled_back_whole(conn, data_dir, monkeypatch):
    import_list(conn, data_dir, [ANN])
    before = warehouse_snapshot(conn)
    real_counts = confirmations.outcome_counts

    def one_row_lost(conn, batch_id):
        counts = real_counts(conn, batch_id)
        return {**counts, "confirmed": counts["confirmed"] - 1}

    monkeypatch.setattr(confirmations, "outcome_counts", one_row_lost)
    path = export(data_dir, [[ANN, when(1)], [UNKNOWN, when(1)]], name="lossy.csv")
    with pytest.raises(confirmations.ReconciliationError, match="lossy.csv: read 2 lines but 0 confirmed") as failure:
        confirmations.apply_file(conn, path, RunContext(as_of=AS_OF), data_dir / "reports")
    assert "5550101" not in str(failure.value)
    assert warehouse_snapshot(conn) == before
    assert not (data_dir / "reports" / "confirmations").exists()


# --- once, all or nothing ----------------------------------------------------------------------

def test_the_same_export_dropped_again_changes_nothing(conn, data_dir):
    import_list(conn, data_dir, [ANN])
    path = export(data_dir, [[ANN, when(1)], [UNKNOWN, when(1)]])
    reports = data_dir / "reports"
    first = confirmations.apply_file(conn, path, RunContext(as_of=AS_OF), reports)
    before = warehouse_snapshot(conn)
    again = confirmations.apply_file(conn, path, RunContext(as_of=AS_OF + dt.timedelta(hours=1)), reports)
    assert again.already_imported and again.batch_id == first.batch_id
    assert (again.lines_read, again.confirmed, again.ignored) == (2, 1, 1)
    assert warehouse_snapshot(conn) == before


def test_the_same_bytes_under_another_manifest_are_another_batch(conn, data_dir):
    import_list(conn, data_dir, [ANN])
    path = export(data_dir, [[ANN, when(1)]], manifest={"channel": "whatsapp"})
    first = confirmations.apply_file(conn, path, RunContext(as_of=AS_OF), data_dir / "reports")
    (path.parent / f"{path.stem}.manifest.yaml").write_text("channel: sms\n", encoding="utf-8")
    second = confirmations.apply_file(conn, path, RunContext(as_of=AS_OF), data_dir / "reports")
    assert second.batch_id != first.batch_id and (first.confirmed, second.confirmed) == (0, 1)


@pytest.mark.parametrize("content,cause,line", [
    (b"Name,Confirmed At\nAnn,2026-11-01\n", "no number column", 1),
    (b"Phone,Email\n+14155550101,a@example.com\n", "no confirmation time column", 1),
    (b"Phone,Confirmed At\n+14155550101,2026-11-01\n+14155550102,caf\x81\n", "bytes that are not", 3),
    (b'Phone,Confirmed At\n+14155550101,"2026-11-01\n', "not valid CSV", 2),
    (b"", "no rows", None),
])
def test_a_malformed_export_fails_naming_the_file_and_line_and_leaves_the_warehouse_untouched(
        conn, data_dir, content, cause, line):
    import_list(conn, data_dir, [ANN])
    apply(conn, data_dir, [[UNKNOWN, when(1)]])
    before = warehouse_snapshot(conn)
    path = data_dir / "confirmations" / "broken.csv"
    path.write_bytes(content)
    with pytest.raises(MalformedFileError, match=cause) as failure:
        confirmations.apply_file(conn, path, RunContext(as_of=AS_OF), data_dir / "reports")
    message = str(failure.value)
    assert failure.value.file_name == "broken.csv" and failure.value.line == line
    assert "broken.csv" in message and "5550101" not in message and "5550102" not in message
    assert warehouse_snapshot(conn) == before


def test_a_header_naming_a_number_is_masked_in_the_error(conn, data_dir):
    path = export(data_dir, [[BO, when(1)]], header=(ANN, "Confirmed At"))
    with pytest.raises(MalformedFileError, match="no number column") as failure:
        confirmations.apply_file(conn, path, RunContext(as_of=AS_OF), data_dir / "reports")
    assert "5550101" not in str(failure.value)


@pytest.mark.parametrize("manifest,key", [
    ({"channel": "email"}, "channel"),
    ({"list": ""}, "list"),
    ({"default_country": "XX"}, "default_country"),
    ({"lists": ["Spring Promo"]}, "unknown keys"),
    ({"date_order": "yolo"}, "date_order"),
    ({"confirm_by": "email"}, "confirm_by"),
])
def test_an_invalid_manifest_names_the_key_and_writes_nothing(conn, data_dir, manifest, key):
    before = warehouse_snapshot(conn)
    path = export(data_dir, [[ANN, when(1)]], manifest=manifest)
    with pytest.raises(ManifestError, match=key):
        confirmations.apply_file(conn, path, RunContext(as_of=AS_OF), data_dir / "reports")
    assert warehouse_snapshot(conn) == before


# --- reading -----------------------------------------------------------------------------------

@pytest.mark.parametrize("header", [("msisdn", "confirmed"), ("Number", "Time"), ("Mobile Number", "Date"),
                                    ("phone_number", "confirmed_at")])
def test_header_variants_are_recognized(conn, data_dir, header):
    import_list(conn, data_dir, [ANN])
    assert apply(conn, data_dir, [[ANN, when(1)]], header=header).confirmed == 1


def test_the_most_specific_time_header_wins_and_email_is_only_noted_as_present(conn, data_dir):
    import_list(conn, data_dir, [ANN, BO])
    result = apply(conn, data_dir, [["2026-01-01", ANN, "ann@example.com", when(1)], ["2026-01-01", BO, "", when(1)]],
                   header=("Date", "Phone", "E-mail", "Confirmed At"))
    assert result.confirmed == 2
    staged = conn.execute("""select has_email, confirmed_at from staging.web_confirmations
        where batch_id = ? order by row_number""", [result.batch_id]).fetchall()
    assert staged == [(True, AS_OF - dt.timedelta(hours=1)), (False, AS_OF - dt.timedelta(hours=1))]
    columns = {r[0] for r in conn.execute("describe staging.web_confirmations").fetchall()}
    assert "email" not in columns


def test_a_semicolon_export_with_slashed_dates_reads_in_the_manifests_date_order(conn, data_dir):
    import_list(conn, data_dir, [ANN])
    path = data_dir / "confirmations" / "eu.csv"
    path.parent.mkdir()
    path.write_text("Phone;Date\n+14155550101;01/11/2026 09:30\n", encoding="utf-8")
    (path.parent / "_manifest.yaml").write_text("date_order: dmy\n", encoding="utf-8")
    confirmations.apply_file(conn, path, RunContext(as_of=AS_OF), data_dir / "reports")
    assert conn.execute("select confirmed_at from core.confirmations").fetchone()[0] == dt.datetime(
        2026, 11, 1, 9, 30, tzinfo=dt.UTC)


# --- report, API, samples ----------------------------------------------------------------------

def test_the_summary_counts_by_outcome_and_reason_and_names_no_phone_number(conn, data_dir):
    import_list(conn, data_dir, [ANN])
    result = apply(conn, data_dir, [[ANN, when(1)], [BO, when(1)], ["+1 415 555 0103", "soon"],
                                    ["=1+2", when(1)], [CY, "+1 415 555 0104"]])
    folder = Path(result.report_dir)
    assert folder == data_dir / "reports" / "confirmations" / f"{result.batch_id:06d}"
    text = (folder / "summary.json").read_text(encoding="utf-8")
    summary = json.loads(text)
    assert (summary["lines_read"], summary["confirmed"], summary["ignored"], summary["invalid"]) == (5, 1, 1, 3)
    assert summary["ignored_by_reason"] == {"no_pending_membership": 1}
    assert summary["invalid_by_reason"] == {"invalid_confirmed_at": 2, "invalid_number": 1}
    assert summary["invalid_rows"] == [
        {"row_number": 3, "line_number": 4, "reason": "invalid_confirmed_at", "number": "'+• ••• ••• ••03",
         "confirmed_at": "soon", "list": ""},
        # two digits only: kept as they are, the formula neutralized
        {"row_number": 4, "line_number": 5, "reason": "invalid_number", "number": "'=1+2",
         "confirmed_at": when(1), "list": ""},
        {"row_number": 5, "line_number": 6, "reason": "invalid_confirmed_at", "number": "'+•••••••••03",
         "confirmed_at": "'+• ••• ••• ••04", "list": ""},
    ]
    for digits in ("5550101", "5550102", "5550103", "5550104", "555 0103", "555 0104"):
        assert digits not in text
    assert conn.execute("select path from ops.reports where batch_id = ? and kind = 'confirmations_summary_json'",
                        [result.batch_id]).fetchone()[0] == str(folder / "summary.json")


def test_the_result_for_xcom_holds_counts_only(conn, data_dir):
    import_list(conn, data_dir, [ANN])
    result = apply(conn, data_dir, [[ANN, when(1)]], name="site.csv")
    xcom = result.as_xcom()
    assert {k: xcom[k] for k in ("file_name", "already_imported", "lines_read", "confirmed", "ignored", "invalid")} == {
        "file_name": "site.csv", "already_imported": False, "lines_read": 1, "confirmed": 1, "ignored": 0,
        "invalid": 0}
    assert xcom["batch_id"] == result.batch_id and "5550101" not in json.dumps(xcom)


def test_batch_ids_come_from_the_sequence_every_kind_of_batch_shares(conn, data_dir):
    import_list(conn, data_dir, [ANN])
    result = apply(conn, data_dir, [[ANN, when(1)]])
    contact_batch = conn.execute("select max(batch_id) from ops.batches").fetchone()[0]
    assert result.batch_id > contact_batch


def test_the_samples_confirm_the_given_numbers_and_show_one_unknown_and_one_invalid_row(conn, data_dir):
    import_list(conn, data_dir, [ANN, BO])
    folder = confirmations.inbox()
    files = confirmations.write_samples(folder, AS_OF.date(), [ANN, BO])
    assert [f.name for f in files] == ["web_confirmations.csv", "web_confirmations.manifest.yaml"]
    result = confirmations.apply_file(conn, files[0], RunContext(as_of=AS_OF), data_dir / "reports")
    assert (result.lines_read, result.confirmed, result.ignored, result.invalid) == (4, 2, 1, 1)
    assert outcomes(conn, result.batch_id)[2:] == [(3, "ignored", "no_pending_membership"),
                                                   (4, "invalid", "invalid_confirmed_at")]
    assert confirmations.write_samples(folder, AS_OF.date(), [ANN, BO]) == []  # kept: a second demo changes nothing


# --- bounds: no free text is stored past its limit -------------------------------------------

@pytest.mark.parametrize("column", ["Phone", "Confirmed At", "List"])
def test_an_overlong_cell_makes_its_row_invalid_and_is_not_stored(conn, data_dir, column):
    import_list(conn, data_dir, [ANN, BO])
    row = {"Phone": ANN, "Confirmed At": when(1), "List": "Spring Promo"}
    row[column] = row[column] + "9" * 1000
    header = ("Phone", "Confirmed At", "List")
    result = apply(conn, data_dir, [[row[h] for h in header], [BO, when(1), "Spring Promo"]], header)
    assert outcomes(conn, result.batch_id) == [(1, "invalid", "field_too_long"), (2, "confirmed", None)]
    longest = conn.execute("""select max(greatest(length(phone_raw), length(confirmed_at_raw), length(list_raw)))
        from staging.web_confirmations where batch_id = ?""", [result.batch_id]).fetchone()[0]
    assert longest <= max(confirmations.MAX_CELL_CHARS.values())
