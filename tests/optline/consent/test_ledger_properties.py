"""Property: whatever the order of imports, opt-out files, inbound STOP/START/HELP/keyword texts,
re-subscriptions, list touch-ups (with and without opt-in evidence), suspensions and deletions (of a
list, of everyone, of one person by number), no suppressed number is ever in an audience, no
unconfirmed number is ever an active (sendable) member, no message the dispatcher sends reaches a
suppressed number, and replaying the same inputs on a fresh warehouse gives the same state."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from optline import warehouse
from optline.consent import inbound, optouts
from optline.consent import ledger as consent
from optline.contacts import pipeline
from optline.contacts.deletion import delete_contacts
from optline.contacts.listops import apply_file
from optline.messaging import dispatch, outbox, providers, quiethours
from optline.runs import RunContext
from tests.helpers import write_csv
from tests.optline.messaging.messaging_setup import FAST, WELCOME

NUMBERS = ["(415) 555-0101", "(415) 555-0102", "(212) 555-0103"]
E164 = {"(415) 555-0101": "+14155550101", "(415) 555-0102": "+14155550102", "(212) 555-0103": "+12125550103"}
LISTS = ["Alpha", "Beta"]
T0 = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)

imports = st.tuples(st.just("import"), st.sampled_from(NUMBERS), st.sampled_from(["Ann", "Bo"]),
                    st.sampled_from(LISTS), st.sampled_from(["sms", "whatsapp"]))
opt_outs = st.tuples(st.just("opt_out_file"), st.sampled_from(NUMBERS), st.sampled_from(["sms", "whatsapp", "all"]))
comebacks = st.tuples(st.just("resubscribe"), st.sampled_from(NUMBERS), st.sampled_from(["sms", "whatsapp"]))
pauses = st.tuples(st.sampled_from(["suspend", "reactivate"]), st.sampled_from(NUMBERS))
deletions = st.tuples(st.just("delete"), st.sampled_from([*LISTS, None]))
person_deletions = st.tuples(st.just("delete_number"), st.sampled_from(NUMBERS))
touchups = st.tuples(st.just("touchup"), st.sampled_from(NUMBERS), st.sampled_from(LISTS), st.booleans())
texts = st.tuples(st.just("text"), st.sampled_from(NUMBERS),
                  st.sampled_from(["STOP", "stop please", "STOPALL", "START", "yes", "HELP", "alpha", "hello"]),
                  st.sampled_from(["sms", "whatsapp"]))
operations = st.lists(st.one_of(imports, imports, opt_outs, texts, texts, comebacks, pauses, deletions,
                                touchups, touchups, person_deletions), min_size=1, max_size=7)


def apply(conn, folder: Path, step: int, op: tuple) -> None:
    when = T0 + dt.timedelta(days=step)
    kind = op[0]
    if kind == "import":
        _, number, name, list_name, channel = op
        path = write_csv(folder / f"import_{step}.csv", [["phone", "first_name", "dob", "opt_in"],
                                                         [number, name, "1990-01-02", when.date().isoformat()]],
                         lists=[list_name], channel=channel)
        pipeline.import_file(conn, path, RunContext(as_of=when + dt.timedelta(hours=1), run_id=f"r{step}"),
                             folder / "reports")
    elif kind == "text":
        _, number, body, channel = op
        path = folder / f"texts_{step}.csv"
        path.write_text(f"From,To,Body,Received At\n{number},+1 702 555 0199,{body},{when.isoformat()}\n",
                        encoding="utf-8")
        path.with_name(f"texts_{step}.manifest.yaml").write_text(
            yaml.safe_dump({"channel": channel, "keywords": {"ALPHA": "Alpha"}}), encoding="utf-8")
        inbound.apply_file(conn, path, RunContext(as_of=when + dt.timedelta(minutes=5), run_id=f"r{step}"),
                           folder / "reports")
    elif kind == "opt_out_file":
        _, number, scope = op
        path = folder / f"optouts_{step}.csv"
        path.write_text(f"Phone,Opt Out Date\n{number},{when.date().isoformat()}\n", encoding="utf-8")
        path.with_name(f"optouts_{step}.manifest.yaml").write_text(yaml.safe_dump({"scope": scope}), encoding="utf-8")
        optouts.apply_file(conn, path, RunContext(as_of=when + dt.timedelta(minutes=5), run_id=f"r{step}"),
                           folder / "reports")
    elif kind == "resubscribe":
        consent.append(conn, [consent.Event(E164[op[1]], op[2], kind, when, "property", kind)])
    elif kind in ("suspend", "reactivate"):
        path = folder / f"ops_{step}.csv"
        path.write_text(f"action,phone\n{kind},{op[1]}\n", encoding="utf-8")
        apply_file(conn, path, RunContext(as_of=when, run_id=f"r{step}"), folder / "reports")
    elif kind == "touchup":
        _, number, list_name, evidence = op
        path = folder / f"touchup_{step}.csv"
        row = f"add_member,{number},{list_name}," + (f"{when.isoformat()},store sign-up" if evidence else ",")
        path.write_text(f"action,phone,list,opted_in_at,source\n{row}\n", encoding="utf-8")
        apply_file(conn, path, RunContext(as_of=when + dt.timedelta(minutes=5), run_id=f"r{step}"), folder / "reports")
    elif kind == "delete_number":
        delete_contacts(conn, number=op[1], requested_by="property", reports_dir=folder / "reports")
    else:
        delete_contacts(conn, list_name=op[1], everyone=op[1] is None, requested_by="property")


def suppressed_in_audiences(conn) -> list[tuple]:
    return conn.execute("""
        select a.list_name, a.channel from marts.audiences a
        join core.contacts c using (contact_id) join core.phone_numbers n on n.e164 = c.e164
        join core.consent_state s on s.number_hmac = n.number_hmac and s.channel = a.channel
        where s.suppressed""").fetchall()


def unconfirmed_active_members(conn) -> list[tuple]:
    """Active (sendable) audience rows whose number never confirmed: no confirmation of that
    membership, no resubscribe (START, a keyword) and no touch-up opt-in evidence on its channel."""
    return conn.execute("""
        select a.list_name, a.channel from marts.audiences a
        join core.lists l on l.name = a.list_name
        join core.contacts c using (contact_id) join core.phone_numbers n on n.e164 = c.e164
        where a.status = 'active'
          and not exists (select 1 from core.confirmations f
                          where f.list_id = l.list_id and f.contact_id = a.contact_id and f.channel = a.channel)
          and not exists (select 1 from core.consent_events e
                          where e.number_hmac = n.number_hmac and e.scope in (a.channel, 'all')
                            and (e.kind = 'resubscribe' or (e.kind = 'opt_in' and e.method = 'touchup')))
        """).fetchall()


def send_due(conn, folder: Path, step: int) -> list[dict]:
    """Queue the welcomes and send what is due (sandbox provider, 19:00 UTC of the step's day:
    inside the sample numbers' hours); the messages sent by this step."""
    when = T0 + dt.timedelta(days=step, hours=19)
    outbox.enqueue_welcomes(conn, WELCOME, when)
    sandbox = folder / "sandbox"
    sent_before = _sent(sandbox)
    provider = providers.build_provider("sandbox", {}, sandbox_dir=sandbox)
    try:
        dispatch.dispatch(conn, provider, RunContext(as_of=when, run_id=f"send{step}"), FAST,
                          quiethours.load_policy(), clock=lambda at=when: at, sleep=lambda _: None)
    finally:
        provider.close()
    return _sent(sandbox)[len(sent_before):]


def _sent(sandbox: Path) -> list[dict]:
    return [json.loads(line) for path in sorted(sandbox.glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def suppressed_recipients(conn, sent: list[dict]) -> list[tuple]:
    """The messages just sent whose number the ledger suppresses on their channel."""
    return [(m["idempotency_key"], m["channel"]) for m in sent
            if consent.is_suppressed(conn, m["to"].removeprefix("whatsapp:"), m["channel"])]


def consent_of_some_disagrees(conn) -> list[tuple]:
    """core.consent_state_of (what the dispatcher asks, for a batch's numbers) against the view
    over every number, for every other number of the ledger."""
    some = [h for i, (h,) in enumerate(conn.execute(
        "select distinct number_hmac from core.consent_events order by 1").fetchall()) if i % 2 == 0]
    columns = "number_hmac, channel, opted_out_at, resubscribed_at, opted_in_at, suppressed"
    of_some = conn.execute(f"select {columns} from core.consent_state_of(?::varchar[]) order by all", [some]).fetchall()
    of_all = conn.execute(f"select {columns} from core.consent_state where list_contains(?::varchar[], number_hmac) "
                          "order by all", [some]).fetchall()
    return sorted(set(of_some) ^ set(of_all))


def suppressed_numbers_disagree(conn) -> list[tuple]:
    """core.suppressed_numbers (worked out from the numbers that ever opted out) against the
    suppressed numbers of the view over every number."""
    short = conn.execute("select number_hmac, channel from core.suppressed_numbers").fetchall()
    full = conn.execute("select number_hmac, channel from core.consent_state where suppressed").fetchall()
    return sorted(set(short) ^ set(full))


def state(conn) -> dict[str, list[tuple]]:
    return {
        "contacts": conn.execute("select e164, first_name from core.contacts order by all").fetchall(),
        "memberships": conn.execute("""select l.name_key, c.e164, m.channel, m.status from core.memberships m
            join core.lists l using (list_id) join core.contacts c using (contact_id) order by all""").fetchall(),
        "consent": conn.execute(
            "select number_hmac, channel, suppressed from core.consent_state order by all").fetchall(),
        "audiences": conn.execute(
            "select list_name, channel, e164_masked from marts.audiences order by all").fetchall(),
        "rejects": conn.execute("select reason_code, count(*) from ops.rejects group by all order by all").fetchall(),
    }


def run(ops: list[tuple]) -> dict[str, list[tuple]]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        conn = warehouse.connect(folder / "w.duckdb")
        try:
            for step, op in enumerate(ops):
                apply(conn, folder, step, op)
                assert suppressed_in_audiences(conn) == [], f"a suppressed number is in an audience after {op}"
                assert unconfirmed_active_members(conn) == [], f"an unconfirmed number is sendable after {op}"
                assert consent_of_some_disagrees(conn) == [], f"consent_state_of disagrees after {op}"
                assert suppressed_numbers_disagree(conn) == [], f"core.suppressed_numbers disagrees after {op}"
                sent = send_due(conn, folder, step)
                assert suppressed_recipients(conn, sent) == [], f"a message reached a suppressed number after {op}"
            return state(conn)
        finally:
            conn.close()


ANN = ("import", NUMBERS[0], "Ann", "Alpha", "sms")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=operations)
# the paths a touch-up or a deletion of one person could open, always tried
@example(ops=[ANN, ("touchup", NUMBERS[0], "Beta", False)])
@example(ops=[ANN, ("opt_out_file", NUMBERS[0], "all"), ("touchup", NUMBERS[0], "Beta", True)])
@example(ops=[ANN, ("text", NUMBERS[0], "STOP", "sms"), ("delete_number", NUMBERS[0]), ANN,
              ("touchup", NUMBERS[0], "Alpha", True)])
def test_no_suppressed_number_is_ever_in_an_audience_and_replays_agree(ops):
    assert run(ops) == run(ops)
