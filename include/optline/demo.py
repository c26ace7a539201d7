"""`optline demo`, step by step: sample inputs -> each DAG (Airflow `dags test`) -> what came of it.

Also the console views the other commands print the same way (the import summary, the
sample files written, the HMAC key, the outbox, a query's result), so the demo shows
exactly what `optline summary`, `optline outbox` or `optline query` would.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from optline import lake, samples, warehouse
from optline.config import PROJECT_DIR, Paths, paths
from optline.contacts import pipeline
from optline.intake.discovery import discover
from optline.reports import batches as reports

# Run at the end of the demo; the second is printed too (without its comment lines), to copy.
AUDIENCE_QUERY = "demo/reachable_by_audience"
EXAMPLE_QUERY = "demo/contacts_by_list_and_status"


def demo_clock(today: dt.date, now: dt.datetime | None = None) -> dt.datetime:
    """The demo sends at 19:00 UTC (11:00 in Las Vegas, 14:00 in New York): inside every sample
    recipient's hours whenever `make demo` runs. Today's 19:00 until it has passed, then
    tomorrow's: the welcomes are queued at the real time, and a message queued after the clock
    is not due at it (after 19:00 UTC the demo used to send nothing)."""
    at = dt.datetime.combine(today, dt.time(19, 0), tzinfo=dt.UTC)
    return at if (now or dt.datetime.now(dt.UTC)) <= at else at + dt.timedelta(days=1)


def run_dag(dag_id: str, logs: Path, conf: dict | None = None) -> bool:
    """`airflow dags test DAG_ID`, its output to a log file; True when the run succeeded."""
    log_file = logs / f"{dag_id}-{dt.datetime.now():%Y%m%d-%H%M%S-%f}.log"
    print(f"    running the {dag_id} DAG with Airflow (dags test); log: {log_file}")
    started = time.monotonic()
    airflow = Path(sys.executable).with_name("airflow")
    command = [str(airflow), "dags", "test", dag_id] + (["--conf", json.dumps(conf)] if conf else [])
    with log_file.open("w") as out:
        proc = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT,
                              env=os.environ.copy(), cwd=PROJECT_DIR, check=False)
    finished = [line for line in log_file.read_text(errors="replace").splitlines() if "DagRun Finished" in line]
    ok = proc.returncode == 0 and bool(finished) and "state=success" in finished[-1]
    print(f"    {dag_id} run {'success' if ok else 'FAILED (see the log)'} in {time.monotonic() - started:.0f} s")
    return ok


# --- views the commands share --------------------------------------------------------------


def print_init_key() -> int:
    """Write the number HMAC key file if none is configured, and say which key is in use."""
    from optline.config import init_hmac_key

    path, created = init_hmac_key()
    print(f"{'wrote a new' if created else 'kept the'} number HMAC key at {path}"
          + (" (back it up with the warehouse: without it, suppressed numbers are no longer recognized)"
             if created else ""))
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
  tables and columns:  {PROJECT_DIR / 'docs' / 'warehouse.md'}
  Airflow UI:          make airflow   (then http://localhost:8080)

Example query (.venv/bin/optline query "..."):""")


# --- the demo --------------------------------------------------------------------------------


def run() -> int:
    """The seven steps; 1 when a DAG run failed or a file did not import."""
    from optline.consent import confirmations, inbound, optouts

    p = paths()
    print_init_key()
    logs = p.data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    today = dt.date.today()
    send_conf = {"as_of": demo_clock(today).isoformat()}
    print(f"1/7 Sample inputs in {p.inbox}")
    print_samples()
    print("2/7 Contact import")
    ok = run_dag("contact_import", logs)
    print("\nImport summary\n")
    status = print_summary()
    print_held(p)
    print(f"\n3/7 Bulk opt-out files in {optouts.inbox()}")
    if not any(optouts.inbox().glob("*.csv")):
        optouts.write_samples(optouts.inbox(), today)
    ok = run_dag("optout_import", logs) and ok
    print_optout_summaries(p)
    print("\n4/7 Welcome texts (double opt-in) for the imported numbers, sent with the sandbox provider")
    print(f"    (clock {send_conf['as_of']}: inside the sample recipients' hours; the sandbox records in "
          f"{p.data_dir / 'sandbox' / 'messages.jsonl'})")
    ok = run_dag("welcome_messages", logs) and ok
    ok = run_dag("message_dispatch", logs, send_conf) and ok
    print_outbox_line()
    print(f"\n5/7 Inbound texts (STOP, START/YES, HELP, keywords) in {inbound.inbox()}")
    if not any(inbound.inbox().glob("*.csv")):
        inbound.write_samples(inbound.inbox(), today)
    ok = run_dag("inbound_messages", logs) and ok
    print_inbound_summaries(p)
    folder = confirmations.inbox()
    print(f"\n6/7 Web confirmations (the sign-up page's export) in {folder}")
    if not any(folder.glob("*.csv")):
        confirmations.write_samples(folder, today, ["+17025550119", "+13055550112"])
    ok = run_dag("web_confirmations", logs) and ok
    print("    then the replies the inbound texts queued (help, keyword welcome) go out:")
    ok = run_dag("message_dispatch", logs, send_conf) and ok
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
