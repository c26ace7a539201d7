"""`optline demo`, step by step: sample inputs -> each DAG (real Airflow runs) -> what came of it.

The DAG runs go through ONE `python -m optline.tasks.dag_runs` process (`DagRuns`): each is
`dag.test()`, a run recorded in Airflow's metadata database with its log in data/logs/, and
Airflow starts once for all of them (seven `airflow dags test` processes took ~2.5 min).

Also the console views the other commands print the same way (the import summary, the
sample files written, the HMAC key, the outbox, a query's result), so the demo shows
exactly what `optline summary`, `optline outbox` or `optline query` would.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from optline import lake, samples, warehouse
from optline.config import PROJECT_DIR, Paths, paths
from optline.contacts import pipeline
from optline.intake.discovery import discover
from optline.reports import batches as reports

# Run at the end of the demo; the second is printed too (without its comment lines), to copy.
AUDIENCE_QUERY = "demo/reachable_by_audience"
EXAMPLE_QUERY = "demo/contacts_by_list_and_status"
RUNNER = "optline.tasks.dag_runs"
"""The module that runs the DAGs (`python -m`): the demo itself imports no Airflow."""
RUNNER_STOP_S = 60


def demo_clock(today: dt.date, now: dt.datetime | None = None) -> dt.datetime:
    """The demo sends at 19:00 UTC (11:00 in Las Vegas, 14:00 in New York): inside every sample
    recipient's hours whenever `make demo` runs. Today's 19:00 until it has passed, then
    tomorrow's: the welcomes are queued at the real time, and a message queued after the clock
    is not due at it (after 19:00 UTC the demo used to send nothing)."""
    at = dt.datetime.combine(today, dt.time(19, 0), tzinfo=dt.UTC)
    return at if (now or dt.datetime.now(dt.UTC)) <= at else at + dt.timedelta(days=1)


@dataclass
class DagRunResult:
    """How one DAG run ended: state `success` or `failed`, or `error` when no run was made."""
    dag_id: str
    state: str
    log_file: Path
    seconds: float
    run_id: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.state == "success"


class DagRuns:
    """Real DAG runs, one after another, through one `python -m optline.tasks.dag_runs` process.

    `with DagRuns(logs) as runs: runs.run("contact_import")`. The process starts (and parses
    the DAG folder) on entry, while the caller does other things; each `run` waits for its
    reply. Its own output between runs goes to `logs/dag_runs-<time>.log`."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.runner_log = logs / f"dag_runs-{dt.datetime.now():%Y%m%d-%H%M%S-%f}.log"
        self._proc: subprocess.Popen[str] | None = None
        self._out: IO[str] | None = None

    def __enter__(self) -> DagRuns:
        self.logs.mkdir(parents=True, exist_ok=True)
        self._out = self.runner_log.open("w")
        self._proc = subprocess.Popen([sys.executable, "-m", RUNNER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=self._out, text=True, cwd=PROJECT_DIR)
        return self

    def __exit__(self, *exc: object) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.stdin.close()  # end of requests: the runner exits
            try:
                proc.wait(RUNNER_STOP_S)
            except subprocess.TimeoutExpired:
                proc.kill()  # the process this object started, by its handle
                proc.wait()
            proc.stdout.close()
        if self._out is not None:
            self._out.close()

    def run(self, dag_id: str, conf: dict[str, Any] | None = None) -> DagRunResult:
        """One run of `dag_id` with `conf`, its log in `logs/<dag_id>-<time>.log`."""
        if self._proc is None:
            raise RuntimeError("DagRuns.run outside `with DagRuns(...)`")
        log_file = self.logs / f"{dag_id}-{dt.datetime.now():%Y%m%d-%H%M%S-%f}.log"
        started = time.monotonic()
        reply = ""
        try:
            self._proc.stdin.write(json.dumps({"dag_id": dag_id, "conf": conf, "log": str(log_file)}) + "\n")
            self._proc.stdin.flush()
            reply = self._proc.stdout.readline()
        except BrokenPipeError:
            pass
        seconds = time.monotonic() - started
        if not reply:
            code = self._proc.poll()
            return DagRunResult(dag_id, "error", log_file, seconds,
                                error=f"the DAG runner ({RUNNER}) exited{f' with {code}' if code is not None else ''}"
                                      f" before answering: see {self.runner_log}")
        answer = json.loads(reply)
        return DagRunResult(dag_id, answer["state"], log_file, seconds, answer.get("run_id"), answer.get("error"))


def run_dag(runs: DagRuns, dag_id: str, conf: dict[str, Any] | None = None) -> DagRunResult:
    """One DAG run through `runs`, announced and its outcome printed."""
    print(f"    running the {dag_id} DAG with Airflow (dag.test)")
    result = runs.run(dag_id, conf)
    outcome = "success" if result.ok else f"FAILED ({result.error or result.state}; see the log)"
    print(f"    {dag_id} run {outcome} in {result.seconds:.0f} s; log: {result.log_file}")
    return result


# --- views the commands share --------------------------------------------------------------


def print_init_key() -> int:
    """Write the number HMAC key file and the confirmation-link key file if none is configured,
    and say which keys are in use."""
    from optline.config import init_hmac_key, init_link_key

    path, created = init_hmac_key()
    print(f"{'wrote a new' if created else 'kept the'} number HMAC key at {path}"
          + (" (back it up with the warehouse: without it, suppressed numbers are no longer recognized)"
             if created else ""))
    path, created = init_link_key()
    print(f"{'wrote a new' if created else 'kept the'} confirmation-link key at {path}"
          + (" (signs the welcome's {confirm_url} links: docs/messaging.md)" if created else ""))
    return 0


def print_samples(inbox: Path | None = None, *, force: bool = False) -> int:
    """Write the sample inbox files (kept if they exist) and name them."""
    inbox = inbox or paths().inbox
    written = samples.write_samples(inbox, force=force)
    for path in written:
        print(f"wrote {path}")
    if not written:
        print(f"sample files already in {inbox} (use --force to rewrite them)")
    return 0


def print_summary(inbox: Path | None = None) -> int:
    """How each inbox file stands in the warehouse; 1 when any did not import."""
    files = [f.path for f in discover(inbox or paths().inbox)]
    conn = warehouse.connect(read_only=True)
    try:
        summaries = [pipeline.file_summary(conn, f, None, paths().reports) for f in files]
    finally:
        conn.close()
    print(reports.format_summary(summaries))
    return 1 if any(s.error for s in summaries) else 0


def print_outbox() -> int:
    """The outbox by kind and status, and the welcome conversion per import."""
    from optline.messaging import outbox

    conn = warehouse.connect(read_only=True)
    try:
        counts, rows = outbox.status_counts(conn), outbox.conversion(conn)
    finally:
        conn.close()
    print("Outbox (kind, status, reason, messages)\n" + outbox.format_status(counts))
    print("\nConversion per import\n" + outbox.format_conversion(rows))
    return 0


def show_query(sql: str, max_rows: int) -> int:
    """Run one read-only query against the warehouse and print its result as a table."""
    conn = warehouse.connect(read_only=True)
    try:
        conn.sql(sql).show(max_rows=max_rows)
    finally:
        conn.close()
    return 0


# --- what only the demo prints ---------------------------------------------------------------


def print_import_summary(p: Paths, run_id: str | None) -> int:
    """The import summary as the contact_import run `run_id` saw it, then, per file an earlier
    run had staged, "already imported (batch N, on DATE, STATUS)": from the warehouse
    (marts.import_history), not only the task log. 1 when a file did not import."""
    files = [f.path for f in discover(p.inbox)]
    conn = warehouse.connect(read_only=True)
    try:
        summaries = [pipeline.file_summary(conn, f, run_id, p.reports) for f in files]
        earlier = [] if run_id is None else warehouse.fetch_dicts(
            conn, "demo/batches_staged_earlier", run_id=run_id,
            batch_ids=[s.batch_id for s in summaries if s.batch_id is not None])
    finally:
        conn.close()
    print(reports.format_summary(summaries))
    if earlier:
        print()
    for b in earlier:
        staged = b["staged_at"].astimezone(dt.UTC) if b["staged_at"].tzinfo else b["staged_at"]
        print(f"{b['file_name']}: already imported (batch {b['batch_id']}, on {staged:%Y-%m-%d %H:%M} UTC, "
              f"{b['status']}): this run did not read it again")
    return 1 if any(s.error for s in summaries) else 0


def print_held(p: Paths) -> None:
    from optline.contacts.review import held_for_review

    conn = warehouse.connect(read_only=True)
    try:
        held = held_for_review(conn)
    finally:
        conn.close()
    for b in held:
        print(f"""
Held for review: batch {b['batch_id']} ({b['file_name']}): {b['reason']}
  report: {reports.batch_dir(p.reports, b['batch_id']) / 'report.html'}
  approve it in Airflow: `make airflow`, log in, Browse -> Required Actions (the batch_review DAG asks);
  or here: .venv/bin/optline review {b['batch_id']} --approve --note "<why>"   (or --refuse; as your OS account)""")


def print_optout_summaries(p: Paths) -> None:
    from optline.consent import optouts

    conn = warehouse.connect(read_only=True)
    try:
        summaries = [optouts.file_result(conn, f, None, p.reports) for f in sorted(optouts.inbox().glob("*.csv"))]
    finally:
        conn.close()
    print(optouts.format_summary(summaries))


def print_outbox_line() -> None:
    from optline.messaging import outbox

    conn = warehouse.connect(read_only=True)
    try:
        counts = outbox.status_counts(conn)
    finally:
        conn.close()
    parts = [f"{r['kind']} {r['status']}{' (' + r['status_reason'] + ')' if r['status_reason'] else ''} "
             f"{r['messages']}" for r in counts]
    print(f"    outbox: {', '.join(parts) or 'empty'}")


def print_inbound_summaries(p: Paths) -> None:
    for summary in sorted((p.reports / "inbound").glob("*/summary.json")):
        data = json.loads(summary.read_text(encoding="utf-8"))
        counts = ", ".join(f"{r['action'] if r['action'] != 'none' else r['reason']} {r['messages']}"
                           for r in data.get("by_intent", []))
        print(f"  {data.get('file_name')}: {data.get('lines_read')} read, {data.get('applied')} applied, "
              f"{data.get('ignored')} ignored, {data.get('invalid')} invalid ({counts}); "
              f"{data.get('opt_outs')} opt-out(s), {data.get('opt_outs_over_limit')} over 10 business days")
        print(f"    report: {summary.parent}")


def print_where_to_look(p: Paths) -> None:
    where = lake.location()
    kind = f"DuckLake, data in {where.data_path}" if where else "one DuckDB file"
    print(f"""
Where to look
  warehouse:           {p.warehouse}  ({kind})
  query it yourself:   .venv/bin/optline analyst-sql   (any DuckDB client, even while runs write)
  review reports:      {p.reports / 'batches'}/<batch>/report.html
  rejected rows (CSV): {p.reports / 'batches'}/<batch>/rejects.csv
  opt-out reports:     {p.reports / 'optouts'}/<batch>/
  inbound reports:     {p.reports / 'inbound'}/<batch>/
  conversion report:   {p.reports / 'messaging' / 'conversion.csv'}
  sandbox messages:    {p.data_dir / 'sandbox' / 'messages.jsonl'}   (what would have been sent)
  run summaries:       {p.reports / 'runs'}
  lineage events:      {p.data_dir / 'lineage' / 'events.jsonl'}   (OpenLineage: docs/lineage.md)
  tables and columns:  {PROJECT_DIR / 'docs' / 'warehouse.md'}
  Airflow UI:          make airflow   (then http://localhost:8080)

Example query (.venv/bin/optline query "..."):""")


# --- the demo --------------------------------------------------------------------------------


def run(runs: DagRuns | None = None) -> int:
    """The seven steps, the DAG runs through `runs` (default: a `DagRuns` of its own); 1 when a
    DAG run failed or a file did not import."""
    p = paths()
    print_init_key()
    with runs or DagRuns(p.data_dir / "logs") as dags:  # Airflow starts while the samples are written
        return _steps(p, dags)


def _steps(p: Paths, dags: DagRuns) -> int:
    from optline.consent import confirmations, inbound, optouts

    today = dt.date.today()
    send_conf = {"as_of": demo_clock(today).isoformat()}
    print(f"1/7 Sample inputs in {p.inbox}")
    print_samples()
    print("2/7 Contact import")
    imported = run_dag(dags, "contact_import")
    ok = imported.ok
    print("\nImport summary\n")
    status = print_import_summary(p, imported.run_id)
    print_held(p)
    print(f"\n3/7 Bulk opt-out files in {optouts.inbox()}")
    if not any(optouts.inbox().glob("*.csv")):
        optouts.write_samples(optouts.inbox(), today)
    ok = run_dag(dags, "optout_import").ok and ok
    print_optout_summaries(p)
    print("\n4/7 Welcome texts (double opt-in) for the imported numbers, sent with the sandbox provider")
    print(f"    (clock {send_conf['as_of']}: inside the sample recipients' hours; the sandbox records in "
          f"{p.data_dir / 'sandbox' / 'messages.jsonl'})")
    ok = run_dag(dags, "welcome_messages").ok and ok
    ok = run_dag(dags, "message_dispatch", send_conf).ok and ok
    print_outbox_line()
    print(f"\n5/7 Inbound texts (STOP, START/YES, HELP, keywords) in {inbound.inbox()}")
    if not any(inbound.inbox().glob("*.csv")):
        inbound.write_samples(inbound.inbox(), today)
    ok = run_dag(dags, "inbound_messages").ok and ok
    print_inbound_summaries(p)
    folder = confirmations.inbox()
    print(f"\n6/7 Web confirmations (the sign-up page's export) in {folder}")
    if not any(folder.glob("*.csv")):
        confirmations.write_samples(folder, today, ["+17025550119", "+13055550112"])
    ok = run_dag(dags, "web_confirmations").ok and ok
    print("    then the replies the inbound texts queued (help, keyword welcome) go out:")
    ok = run_dag(dags, "message_dispatch", send_conf).ok and ok
    print("\n7/7 The outbox, the conversion per import, and the audiences after opt-outs and confirmations\n")
    print_outbox()
    print()
    show_query(warehouse.sql_text(AUDIENCE_QUERY), 20)
    if not ok:
        status = 1
    print_where_to_look(p)
    example = "\n".join(line for line in warehouse.sql_text(EXAMPLE_QUERY).strip().splitlines()
                        if not line.startswith("--"))  # the query as a person types it
    print("  " + example.replace("\n", "\n  "))
    show_query(example, 20)
    return status
