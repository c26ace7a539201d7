"""Web confirmations by token: the welcome's link confirms the membership it was issued for;
expired, reused, forged, unknown and mismatched tokens are rejected with their reasons; number
matching stays only without a token column (or with `confirm_by: number`); the conversion
report counts the link confirmations."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
import yaml

from optline.config import hmac_key, link_key, warehouse_format
from optline.consent import confirmations, inbound
from optline.intake.readers import MalformedFileError
from optline.messaging import links, outbox
from optline.messaging.settings import WelcomeSettings
from optline.phones import number_hmac
from optline.runs import RunContext
from tests.helpers import import_people, person

QUEUED_AT = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
AS_OF = QUEUED_AT + dt.timedelta(days=10)  # the clock the exports are applied at
ANN, BO, CY, DI = "+14155550101", "+14155550102", "+14155550103", "+14155550104"
BASE = "https://example.org/c/"
WELCOME = WelcomeSettings(template="{list}: confirm at {confirm_url}", confirm_base_url=BASE, link_ttl_days=7)
_files = iter(range(1, 1000))


LINK_KEY = "link-test-key-" + "0123456789abcdef" * 2


def build(root: Path) -> dict[str, str]:
    """ANN, BO, CY and DI imported pending on Main in the warehouse under `root`, each welcome
    queued with its link: number -> token."""
    from optline import warehouse

    with warehouse.connect(root / "warehouse.duckdb") as conn:
        import_people(conn, root / "inbox", "people.csv",
                      [person(n, f"P{i}") for i, n in enumerate((ANN, BO, CY, DI))], as_of=QUEUED_AT)
        assert outbox.enqueue_welcomes(conn, WELCOME, QUEUED_AT).queued == 4
        bodies = conn.execute("select e164, body from msg.outbox").fetchall()
    return {e164: links.token_in(body, BASE) for e164, body in bodies}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> tuple[Path, dict[str, str]] | None:
    """Once per module on a DuckDB file (copied into each test's data dir); None on a lake, whose
    catalog names its data folder: each test builds its own."""
    if warehouse_format() != "duckdb":
        return None
    root = tmp_path_factory.mktemp("links") / "data"
    (root / "inbox").mkdir(parents=True)
    with pytest.MonkeyPatch.context() as mp:
        for var, value in (("OPTLINE_DATA_DIR", root), ("OPTLINE_WAREHOUSE", root / "warehouse.duckdb"),
                           ("OPTLINE_LINK_KEY", LINK_KEY)):
            mp.setenv(var, str(value))
        mp.delenv("OPTLINE_INBOX", raising=False)
        mp.delenv("OPTLINE_REPORTS", raising=False)
        return root / "warehouse.duckdb", build(root)


@pytest.fixture
def tokens(prepared, data_dir, monkeypatch) -> dict[str, str]:
    """This test's warehouse (open it with `conn`), prepared: number -> token."""
    monkeypatch.setenv("OPTLINE_LINK_KEY", LINK_KEY)
    if prepared is None:
        return build(data_dir)
    shutil.copyfile(prepared[0], data_dir / "warehouse.duckdb")
    return prepared[1]


@pytest.fixture
def conn(tokens, data_dir):
    from optline import warehouse

    with warehouse.connect(data_dir / "warehouse.duckdb") as connection:
        yield connection


def send_texts(conn, data_dir: Path, rows: str) -> None:
    """Apply an inbound export of texts (From,Body,Received At lines) on sms."""
    path = data_dir / "inbound" / f"texts_{next(_files)}.csv"
    path.parent.mkdir(exist_ok=True)
    path.write_text("From,Body,Received At\n" + rows, encoding="utf-8")
    (path.parent / f"{path.stem}.manifest.yaml").write_text("channel: sms\n", encoding="utf-8")
    inbound.apply_file(conn, path, RunContext(as_of=AS_OF), data_dir / "reports")


def at(days: float) -> str:
    """A confirmation time `days` after the welcomes were queued."""
    return (QUEUED_AT + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def apply(conn, data_dir: Path, rows: list[list[str]], header=("Token", "Confirmed At"), manifest: dict | None = None):
    folder = data_dir / "confirmations"
    folder.mkdir(exist_ok=True)
    path = folder / f"site_{next(_files)}.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([list(header), *rows])
    if manifest is not None:
        (folder / f"{path.stem}.manifest.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    return confirmations.apply_file(conn, path, RunContext(as_of=AS_OF, dag_id="d", run_id="r"), data_dir / "reports")


def outcomes(conn, batch_id: int) -> list[tuple]:
    return conn.execute("""select row_number, outcome, reason from staging.web_confirmations
        where batch_id = ? order by row_number""", [batch_id]).fetchall()


def status_of(conn, e164: str) -> str:
    return conn.execute("""select m.status from core.memberships m join core.contacts c using (contact_id)
        where c.e164 = ?""", [e164]).fetchone()[0]


def test_a_token_confirms_the_membership_its_welcome_was_for_by_link_and_the_conversion_counts_it(
        conn, data_dir, tokens):
    result = apply(conn, data_dir, [[tokens[ANN], at(1)]])
    assert (result.confirm_by, result.lines_read, result.confirmed, result.memberships_confirmed) == ("token", 1, 1, 1)
    assert status_of(conn, ANN) == "active" and status_of(conn, BO) == "pending"
    welcome = conn.execute("select outbox_id from msg.outbox where e164 = ?", [ANN]).fetchone()[0]
    assert conn.execute("select method, outbox_id, batch_id, row_number from core.confirmations").fetchall() == [
        ("link", welcome, result.batch_id, 1)]
    assert conn.execute("""select number_hmac, scope, kind, method, effective_at from core.consent_events
        where batch_id = ?""", [result.batch_id]).fetchall() == [
        (number_hmac(ANN, hmac_key()), "sms", "opt_in", "link_confirmation", QUEUED_AT + dt.timedelta(days=1))]
    # the token is not kept anywhere but in the body that was sent
    staged = conn.execute("select * from staging.web_confirmations").fetchall()
    assert tokens[ANN] not in str(staged) and tokens[ANN] not in json.dumps(result.as_xcom())

    # BO confirms by replying YES: the conversion tells the two ways apart
    send_texts(conn, data_dir, f"{BO},YES,{at(1)}\n")
    [row] = outbox.conversion(conn)
    assert (row["imported"], row["confirmed"], row["confirmed_by_link"], row["confirmed_by_reply"],
            row["confirmed_by_number"]) == (4, 2, 1, 1, 0)
    report = outbox.write_conversion_report(conn, data_dir / "reports").read_text(encoding="utf-8")
    header, line = report.splitlines()
    assert dict(zip(header.split(","), line.split(",")))["confirmed_by_link"] == "1"
    assert "by link" in outbox.format_conversion([row])


def test_expired_reused_forged_unknown_mismatched_and_missing_tokens_are_rejected_with_their_reasons(
        conn, data_dir, tokens):
    forged = tokens[CY][:-1] + ("A" if tokens[CY][-1] != "A" else "B")
    never_issued = links.issue(link_key(), QUEUED_AT + dt.timedelta(days=7)).token
    result = apply(conn, data_dir, [
        [tokens[ANN], at(1), ""],        # 1 confirms
        [tokens[ANN], at(2), ""],        # 2 the same link again: reused
        [tokens[BO], at(8), ""],         # 3 after its 7 days: expired
        [forged, at(1), ""],             # 4 a character changed: the signature fails
        ["not-a-token", at(1), ""],      # 5 garbled
        [never_issued, at(1), ""],       # 6 signed with the key, but no welcome carries it
        [tokens[CY], at(1), DI],         # 7 the row names another number than its welcome's
        ["", at(1), DI],                 # 8 a number but no token, in an export by token
        [tokens[DI], at(1), DI],         # 9 confirms (its own number agrees)
        [tokens[CY], tokens[BO], ""],    # 10 a token in the time column
    ], header=("Token", "Confirmed At", "Phone"))
    assert outcomes(conn, result.batch_id) == [
        (1, "confirmed", None), (2, "invalid", "token_reused"), (3, "invalid", "token_expired"),
        (4, "invalid", "token_invalid_signature"), (5, "invalid", "token_invalid_signature"),
        (6, "invalid", "token_unknown"), (7, "invalid", "token_number_mismatch"), (8, "invalid", "missing_token"),
        (9, "confirmed", None), (10, "invalid", "invalid_confirmed_at")]
    assert result.lines_read == result.confirmed + result.ignored + result.invalid == 10
    assert [status_of(conn, n) for n in (ANN, BO, CY, DI)] == ["active", "pending", "pending", "active"]

    summary_text = (Path(result.report_dir) / "summary.json").read_text(encoding="utf-8")
    summary = json.loads(summary_text)
    assert summary["confirm_by"] == "token"
    assert summary["invalid_by_reason"] == {"token_reused": 1, "token_expired": 1, "token_invalid_signature": 2,
                                            "token_unknown": 1, "token_number_mismatch": 1, "missing_token": 1,
                                            "invalid_confirmed_at": 1}
    shown = {r["row_number"]: r for r in summary["invalid_rows"]}
    assert shown[2]["token"] == "…" + tokens[ANN][-4:] and "token" not in shown[8]
    assert shown[10]["confirmed_at"] == "…" + tokens[BO][-4:]
    for token in (*tokens.values(), forged, never_issued):
        assert token not in summary_text  # at most the last 4 characters
    assert "5550104" not in summary_text

    # a later export with a used token: reused, whichever file used it first
    again = apply(conn, data_dir, [[tokens[ANN], at(3)]])
    assert outcomes(conn, again.batch_id) == [(1, "invalid", "token_reused")]


def test_a_token_whose_membership_was_confirmed_otherwise_or_is_suppressed_confirms_nothing(conn, data_dir, tokens):
    send_texts(conn, data_dir, f"{ANN},YES,{at(1)}\n{BO},STOP,{at(1)}\n")
    result = apply(conn, data_dir, [[tokens[ANN], at(2)], [tokens[BO], at(2)]])
    assert outcomes(conn, result.batch_id) == [(1, "ignored", "already_confirmed"), (2, "ignored", "suppressed")]
    assert status_of(conn, BO) == "pending"


def test_rows_are_matched_by_number_only_without_a_token_column_or_when_the_manifest_says_so(conn, data_dir, tokens):
    by_number = apply(conn, data_dir, [[ANN, at(1)]], header=("Phone", "Confirmed At"))
    assert by_number.confirm_by == "number" and outcomes(conn, by_number.batch_id) == [(1, "confirmed", None)]
    assert conn.execute("select method, outbox_id from core.confirmations").fetchall() == [("web", None)]
    # a site that cannot pass tokens: the manifest says so, the token column is not read
    told = apply(conn, data_dir, [[BO, "garbage", at(1)]], header=("Phone", "Token", "Confirmed At"),
                 manifest={"confirm_by": "number"})
    assert told.confirm_by == "number" and outcomes(conn, told.batch_id) == [(1, "confirmed", None)]
    # the manifest asks for tokens but the export has none: the file is refused, nothing written
    with pytest.raises(MalformedFileError, match="no token column"):
        apply(conn, data_dir, [[CY, at(1)]], header=("Phone", "Confirmed At"), manifest={"confirm_by": "token"})
    assert status_of(conn, CY) == "pending"
    # an export without its header row: the token in the first line is not shown in the error
    with pytest.raises(MalformedFileError) as refused:
        apply(conn, data_dir, [[at(2)]], header=(tokens[DI], at(1)))
    assert tokens[DI] not in str(refused.value) and "…" + tokens[DI][-4:] in str(refused.value)


def test_the_samples_can_confirm_by_the_tokens_the_sandbox_sent(conn, data_dir, tokens):
    sent = data_dir / "sandbox" / "messages.jsonl"
    sent.parent.mkdir()
    bodies = conn.execute("select e164, body from msg.outbox order by outbox_id").fetchall()
    sent.write_text("".join(json.dumps({"to": e164, "body": body}) + "\n" for e164, body in bodies), encoding="utf-8")
    chosen = confirmations.sample_tokens(sent, BASE, [ANN, BO])
    assert chosen == [tokens[ANN], tokens[BO]]
    assert confirmations.sample_tokens(sent, "", [ANN]) == []  # welcomes without links: the samples go by number
    files = confirmations.write_samples(confirmations.inbox(), (QUEUED_AT + dt.timedelta(days=3)).date(), tokens=chosen)
    result = confirmations.apply_file(conn, files[0], RunContext(as_of=AS_OF), data_dir / "reports")
    assert (result.confirm_by, result.confirmed, result.invalid) == ("token", 2, 2)
    assert [r[2] for r in outcomes(conn, result.batch_id)] == [None, None, "token_invalid_signature",
                                                                "invalid_confirmed_at"]


def test_the_import_key_of_an_export_without_confirm_by_is_what_it_was_before_the_setting():
    before = {"default_country": "US", "channel": "sms", "list_name": None, "source": "web", "encoding": "auto",
              "delimiter": None, "date_order": "auto"}
    assert confirmations.ConfirmationManifest().settings() == before
    assert confirmations.parse_manifest({"confirm_by": "token"}).settings() == {**before, "confirm_by": "token"}
