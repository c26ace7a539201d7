"""The contact_import DAG: its shape, and real runs with dag.test() on a throwaway Airflow.
(The house rules every DAG keeps, its writer pool among them, are in test_dag_integrity.py.)

The end-to-end run's expected warehouse contents are computed here, independently of the
pipeline: numbers are generated as digits (so E.164 is known without phonenumbers), and
each generated row carries the outcome it must have.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from optline import warehouse
from tests.dags import dagrun
from tests.helpers import OPEN_GATE, warehouse_snapshot, write_csv, write_manifest

pytestmark = pytest.mark.airflow

AS_OF = "2026-11-01T12:00:00+00:00"
WRITERS = ("import_file.stage", "import_file.check", "import_file.validate", "import_file.merge", "summarize")



def load_dag():
    return dagrun.load_dag("contact_import")


task_states = dagrun.task_states


def run_dag(inbox: Path | None = None):
    conf = {"as_of": AS_OF}
    if inbox:
        conf["inbox"] = str(inbox)
    return load_dag().test(run_conf=conf)


def read_warehouse(data_dir: Path):
    return warehouse.connect(data_dir / "warehouse.duckdb", read_only=True)


# --- the DAG's shape -------------------------------------------------------------------------

def test_dag_is_scheduled_nightly_with_its_tags_docs_and_params():
    dag = load_dag()
    assert dag.schedule == "0 2 * * *" or str(dag.timetable.summary) == "0 2 * * *"
    assert {"optline", "import"} <= set(dag.tags)
    assert dag.doc_md and "Contact import" in dag.doc_md
    assert set(dag.params) == {"inbox", "as_of"}


def test_dag_has_the_writers_and_the_two_tasks_that_write_nothing():
    # test_dag_integrity puts every task but discover_files and request_review in the writer pool
    assert set(load_dag().task_ids) == {"discover_files", "import_file.request_review", *WRITERS}


def test_merge_updates_the_assets_later_dags_can_be_triggered_by():
    dag = load_dag()
    names = {a.name for a in dag.get_task("import_file.merge").outlets}
    assert {"optline.core.contacts", "optline.core.memberships", "optline.core.consent_events"} <= names


def test_summary_runs_even_when_a_file_failed():
    assert load_dag().get_task("summarize").trigger_rule == "all_done"


# --- an input with known answers -------------------------------------------------------------

@dataclass
class Case:
    cells: list[str]
    expected: str  # "accepted" or a reason code
    e164: str | None = None
    names: tuple[str, str] = ("", "")


def generated_cases(seed: int = 11, rows: int = 120) -> list[Case]:
    """Rows drawn from a small pool of people and numbers, so merges and duplicates happen,
    with known-bad rows mixed in. The expected outcome is decided here, row by row."""
    rng = random.Random(seed)
    people = [("Ann", "Lee"), ("Bo", "Ng"), ("Cy", "Roy"), ("Di", "Kim"), ("Ed", "Fox")]
    numbers = [f"415555{n:04d}" for n in range(100, 130)]
    formats = [lambda d: f"({d[:3]}) {d[3:6]}-{d[6:]}", lambda d: d, lambda d: f"+1 {d[:3]} {d[3:6]} {d[6:]}",
               lambda d: f"1-{d[:3]}-{d[3:6]}-{d[6:]}", lambda d: f"{d[:3]}.{d[3:6]}.{d[6:]}"]
    seen: set[tuple[str, str, str]] = set()
    cases = []
    for _ in range(rows):
        kind = rng.choices(["good", "toll_free", "excel", "no_opt_in", "minor"], [80, 5, 5, 5, 5])[0]
        digits = rng.choice(numbers)
        first, last = rng.choice(people)
        if rng.random() < 0.3:
            first, last = first.upper(), last.lower()
        phone = rng.choice(formats)(digits)
        dob, opt_in = "1990-05-06", f"2026-{rng.randint(6, 10):02d}-{rng.randint(1, 28):02d}"
        e164 = "+1" + digits
        if kind == "toll_free":
            phone, e164, expected = "+1 800 555 0199", None, "not_mobile"
        elif kind == "excel":
            phone, e164, expected = f"{int(digits) / 1e9:.5f}E+09", None, "excel_mangled_number"
        elif kind == "no_opt_in":
            opt_in, expected = "", "missing_opt_in"
        elif kind == "minor":
            dob, expected = "2012-01-01", "under_age"
        else:
            key = (e164, first.lower(), last.lower())
            expected = "duplicate_in_file" if key in seen else "accepted"
            seen.add(key)
        cases.append(Case([phone, first, last, dob, opt_in], expected, e164, (first, last)))
    return cases


def test_end_to_end_run_matches_independently_computed_warehouse(airflow_db, data_dir):
    cases = generated_cases()
    write_csv(data_dir / "inbox" / "generated.csv",
              [["Mobile Number", "First Name", "Surname", "Birthday", "Opt-in Date"], *[c.cells for c in cases]],
              lists=["Spring Promo", "All"], tags=["gen"], consent={"source": "test form", "method": "web_form"},
              disclosure={"version": "v1", "url": "https://example.org/terms"}, purpose="offers by SMS")
    (data_dir / "inbox" / "numbers.txt").write_text("(415) 555-0200\n\n555-0100\n(415) 555-0200\n", encoding="utf-8")
    write_manifest(data_dir / "inbox" / "numbers.txt", lists=["spring promo"], header=False,
                   policy_overrides={**OPEN_GATE, "require_opt_in": False, "require_age_or_dob": False})

    dag_run = run_dag()
    assert str(dag_run.state) == "success"

    accepted = [c for c in cases if c.expected == "accepted"]
    expected_contacts = ({(c.e164, c.names[0].lower(), c.names[1].lower()) for c in accepted}
                         | {("+14155550200", "", "")})
    with read_warehouse(data_dir) as conn:
        got_contacts = set(conn.execute(
            "select e164, lower(coalesce(first_name, '')), lower(coalesce(last_name, ''))"
            " from core.contacts").fetchall())
        assert got_contacts == expected_contacts

        outcomes = conn.execute("""select coalesce(o.reason_code, 'accepted') from staging.row_outcomes o
            join ops.batches b using (batch_id) where b.file_name = 'generated.csv' order by o.row_number""").fetchall()
        assert [o[0] for o in outcomes] == [c.expected for c in cases]

        txt = conn.execute("""select coalesce(o.reason_code, 'accepted') from staging.row_outcomes o
            join ops.batches b using (batch_id) where b.file_name = 'numbers.txt' order by o.row_number""").fetchall()
        assert [t[0] for t in txt] == ["accepted", "blank_row", "invalid_number", "duplicate_in_file"]

        # the list's display name is whichever file merged first (mapped tasks run in any order)
        members = Counter(r[0] for r in conn.execute(
            "select l.name_key from core.memberships join core.lists l using (list_id)").fetchall())
        assert members == {"spring promo": len(expected_contacts), "all": len(expected_contacts) - 1}

        events = conn.execute("select count(*), count(distinct batch_id) from core.consent_events").fetchone()
        assert events == (len(accepted) + 1, 2)
        disclosed = conn.execute("""select b.file_name, d.version, d.purpose, count(*) from core.consent_events e
            join ops.batches b using (batch_id) left join core.consent_disclosures d using (disclosure_id)
            group by all order by 1""").fetchall()  # the manifest's disclosure on each of its opt-ins
        assert disclosed == [("generated.csv", "v1", "offers by SMS", len(accepted)), ("numbers.txt", None, None, 1)]

        batches = conn.execute("""select file_name, status, lines_read, rows_loaded, rows_rejected, run_id, dag_id
            from ops.batches order by file_name""").fetchall()
        assert [b[:5] for b in batches] == [
            ("generated.csv", "merged", len(cases), len(accepted), len(cases) - len(accepted)),
            ("numbers.txt", "merged", 4, 1, 3)]
        assert {b[5] for b in batches} == {dag_run.run_id} and {b[6] for b in batches} == {"contact_import"}

    summary_file = data_dir / "reports" / "runs"
    assert len(list(summary_file.glob("*.json"))) == 1


def test_rerunning_the_dag_changes_nothing_and_skips_the_merges(airflow_db, data_dir):
    write_csv(data_dir / "inbox" / "a.csv", [["phone", "first_name", "dob", "opt_in"],
                                            ["(415) 555-0101", "Ann", "1990-01-01", "2026-10-01"],
                                            ["(415) 555-0102", "Bo", "1990-01-01", "2026-10-01"]])
    assert str(run_dag().state) == "success"
    with read_warehouse(data_dir) as conn:
        before = warehouse_snapshot(conn)
    again = run_dag()
    assert str(again.state) == "success"
    assert task_states(again)["import_file.merge"] == ["skipped"]
    with read_warehouse(data_dir) as conn:
        assert warehouse_snapshot(conn) == before


def test_a_malformed_file_fails_the_run_alone_and_the_other_files_merge(airflow_db, data_dir):
    write_csv(data_dir / "inbox" / "good.csv", [["phone", "first_name", "dob", "opt_in"],
                                               ["(415) 555-0101", "Ann", "1990-01-01", "2026-10-01"]])
    bad = data_dir / "inbox" / "broken.csv"
    bad.write_text('phone,first_name\n(415) 555-0102,"Bo\n', encoding="utf-8")
    write_manifest(bad)
    dag_run = run_dag()
    assert str(dag_run.state) == "failed"
    states = task_states(dag_run)
    assert sorted(states["import_file.stage"]) == ["failed", "success"]
    assert states["summarize"] == ["failed"]
    with read_warehouse(data_dir) as conn:
        assert conn.execute("select file_name, status from ops.batches").fetchall() == [("good.csv", "merged")]
        assert conn.execute("select count(*) from staging.contact_rows").fetchone()[0] == 1


def test_no_phone_number_or_birth_date_reaches_logs_or_xcom(airflow_db, data_dir, caplog, capsys):
    import logging
    import re
    import sqlite3

    rows = [["(415) 555-0101", "Ann", "1990-01-02", "2026-10-01"],
            ["+1 800 555 0199", "Toll", "1981-03-04", "2026-10-01"],   # rejected: still never logged
            ["4155550102", "Bo", "2012-05-06", "2026-10-01"]]
    write_csv(data_dir / "inbox" / "a.csv", [["phone", "first_name", "dob", "opt_in"], *rows])
    bad = data_dir / "inbox" / "headerless.csv"      # an error about headers must not echo the data row
    bad.write_text("(415) 555-0103,Cy\n", encoding="utf-8")
    write_manifest(bad, header=True)
    caplog.set_level(logging.DEBUG)
    dag_run = run_dag()
    assert str(dag_run.state) == "failed"  # the headerless file fails, as it should

    numbers = ["4155550101", "8005550199", "4155550102", "4155550103"]
    patterns = [re.compile(r"[\s().+-]{0,3}".join(n)) for n in numbers]  # any formatting of the digits
    patterns += [re.compile(re.escape(d)) for d in ("1990-01-02", "1981-03-04", "2012-05-06")]
    out = capsys.readouterr()
    with sqlite3.connect(airflow_db / "airflow.db") as db:
        xcoms = [str(v) for (v,) in db.execute("select value from xcom where run_id = ?", (dag_run.run_id,))]
    assert xcoms, "expected the run to pass values between tasks"
    for where, text in (("logs", caplog.text), ("stdout", out.out), ("stderr", out.err), ("xcom", "\n".join(xcoms))):
        leaked = [p.pattern for p in patterns if p.search(text)]
        assert not leaked, f"{where} shows {len(leaked)} phone number(s) or birth date(s)"


def test_a_run_with_an_empty_inbox_succeeds_and_writes_nothing(airflow_db, data_dir):
    dag_run = run_dag()
    assert str(dag_run.state) == "success"
    assert task_states(dag_run)["summarize"] == ["success"]
    with read_warehouse(data_dir) as conn:
        assert conn.execute("select count(*) from ops.batches").fetchone()[0] == 0
