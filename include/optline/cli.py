"""`optline`: the command line for demos, one-off imports and quick looks at the warehouse.

    optline demo                 sample inputs -> contact_import DAG (Airflow) -> summary
    optline samples              write the sample inbox files (kept if they exist)
    optline import [FILE ...]    import files (default: the inbox) without Airflow
    optline summary              how each inbox file stands in the warehouse
    optline query "SQL"          run a read-only query against the warehouse
    optline review [BATCH]       list held batches, or --approve / --refuse one
    optline delete --list NAME   delete a list's contacts (or --all); suppression stays
    optline listops FILE         add/remove members and tags, suspend/reactivate numbers
    optline welcome              queue the welcome of every pending member (as the welcome_messages DAG)
    optline send                 send what the outbox has due (as the message_dispatch DAG)
    optline outbox               the outbox by status, and the conversion per import
    optline init-key             write the number HMAC key file (if none is configured)
    optline migrate              bring the warehouse schema up to date
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from optline import samples, warehouse
from optline.config import PROJECT_DIR, ConfigError, paths
from optline.contacts import pipeline
from optline.intake.discovery import discover
from optline.messaging.dispatch import ProviderAuthError
from optline.reports import batches as reports
from optline.runs import RunContext

AUDIENCE_QUERY = """\
select list_name, channel, status, count(*) as reachable
from marts.audiences group by all order by all"""
EXAMPLE_QUERY = """\
select l.name as list, m.status, count(*) as contacts
from core.memberships m join core.lists l using (list_id)
group by all order by list, status"""


def _inbox_files(args: argparse.Namespace) -> list[Path]:
    if getattr(args, "files", None):
        return [Path(f).resolve() for f in args.files]
    return [f.path for f in discover(Path(args.inbox) if args.inbox else paths().inbox)]


def cmd_samples(args: argparse.Namespace) -> int:
    inbox = Path(args.inbox) if args.inbox else paths().inbox
    written = samples.write_samples(inbox, force=args.force)
    for path in written:
        print(f"wrote {path}")
    if not written:
        print(f"sample files already in {inbox} (use --force to rewrite them)")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    files = _inbox_files(args)
    as_of = dt.datetime.fromisoformat(args.as_of) if args.as_of else dt.datetime.now(dt.UTC)
    run = RunContext(as_of=as_of if as_of.tzinfo else as_of.replace(tzinfo=dt.UTC), dag_id="cli")
    conn = warehouse.connect()
    try:
        summaries = [pipeline.import_file(conn, f, run, paths().reports) for f in files]
    finally:
        conn.close()
    print(reports.format_summary(summaries))
    return 1 if any(s.error for s in summaries) else 0


def _print_summary(inbox: Path | None = None) -> int:
    files = [f.path for f in discover(inbox or paths().inbox)]
    conn = warehouse.connect(read_only=True)
    try:
        summaries = [pipeline.file_summary(conn, f, None, paths().reports) for f in files]
    finally:
        conn.close()
    print(reports.format_summary(summaries))
    return 1 if any(s.error for s in summaries) else 0


def cmd_summary(args: argparse.Namespace) -> int:
    return _print_summary(Path(args.inbox) if args.inbox else None)


def cmd_query(args: argparse.Namespace) -> int:
    conn = warehouse.connect(read_only=True)
    try:
        conn.sql(args.sql).show(max_rows=args.max_rows)
    finally:
        conn.close()
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from optline.contacts.review import held_for_review
    from optline.quality import suites as quality

    conn = warehouse.connect()
    try:
        if args.batch is None:
            held = held_for_review(conn)
            for b in held:
                print(f"batch {b['batch_id']}  {b['file_name']}  {b['rows_loaded']} accepted, {b['rows_rejected']} "
                      f"rejected  report: {reports.batch_dir(paths().reports, b['batch_id']) / 'report.html'}\n"
                      f"    {b['reason']}")
            if not held:
                print("no batch is awaiting review")
            return 0
        if args.approve == args.refuse:
            print("optline: say --approve or --refuse", file=sys.stderr)
            return 2
        row = conn.execute("select status from ops.batches where batch_id = ?", [args.batch]).fetchone()
        if row is None or row[0] != "awaiting_review":
            print(f"optline: batch {args.batch} is {row[0] if row else 'unknown'}, not awaiting review", file=sys.stderr)
            return 2
        decision = "approved" if args.approve else "refused"
        quality.record_decision(conn, args.batch, decision, args.by, args.reason or f"{args.by} via optline review",
                                dag_id="cli")
        if args.approve:
            summary = pipeline.merge(conn, args.batch, paths().reports)
            print(f"batch {args.batch} approved by {args.by} and merged: {summary.new_contacts} new contacts, "
                  f"{summary.merged_contacts} merged")
        else:
            pipeline.write_review_report(conn, args.batch, paths().reports)
            print(f"batch {args.batch} refused by {args.by}: nothing merged")
    finally:
        conn.close()
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    from optline.contacts.deletion import delete_contacts

    if not args.yes:
        target = "every contact" if args.all else f"the contacts on list {args.list!r}"
        print(f"optline: this deletes {target} and their personal data for good (the consent ledger "
              "keeps their suppression). Add --yes to go ahead.", file=sys.stderr)
        return 2
    conn = warehouse.connect()
    try:
        result = delete_contacts(conn, list_name=args.list, everyone=args.all, requested_by=args.by)
    finally:
        conn.close()
    print(f"deleted {result.contacts_deleted} contact(s), {result.numbers_deleted} number(s), "
          f"{result.staged_rows_deleted} staged row(s); opt-outs stay in force")
    return 0


def cmd_listops(args: argparse.Namespace) -> int:
    from optline.contacts.listops import apply_file

    conn = warehouse.connect()
    try:
        result = apply_file(conn, Path(args.file), default_country=args.country)
    finally:
        conn.close()
    applied = ", ".join(f"{action} {n}" for action, n in sorted(result.applied.items())) or "nothing"
    print(f"{args.file}: {result.lines_read} row(s) read; applied: {applied}; rejected: {len(result.rejected)}")
    for row, reason in result.rejected:
        print(f"  row {row}: {reason}")
    return 1 if result.rejected else 0


def cmd_init_key(args: argparse.Namespace) -> int:
    from optline.config import init_hmac_key

    path, created = init_hmac_key()
    print(f"{'wrote a new' if created else 'kept the'} number HMAC key at {path}"
          + (" (back it up with the warehouse: without it, suppressed numbers are no longer recognized)"
             if created else ""))
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    conn = warehouse.connect(migrate_schema=False)
    try:
        applied = warehouse.migrate(conn)
    finally:
        conn.close()
    print(f"applied {len(applied)} schema file(s): {', '.join(applied)}" if applied else "schema up to date")
    return 0


def _run_dag(dag_id: str, logs: Path, conf: dict | None = None) -> bool:
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


def _print_inbound_summaries(p) -> None:
    for summary in sorted((p.reports / "inbound").glob("*/summary.json")):
        data = json.loads(summary.read_text(encoding="utf-8"))
        counts = ", ".join(f"{r['action'] if r['action'] != 'none' else r['reason']} {r['messages']}"
                           for r in data.get("by_intent", []))
        print(f"  {data.get('file_name')}: {data.get('lines_read')} read, {data.get('applied')} applied, "
              f"{data.get('ignored')} ignored, {data.get('invalid')} invalid ({counts}); "
              f"{data.get('opt_outs')} opt-out(s), {data.get('opt_outs_over_limit')} over 10 business days")
        print(f"    report: {summary.parent}")


def _print_optout_summaries(p) -> None:
    from optline.consent import optouts

    conn = warehouse.connect(read_only=True)
    try:
        summaries = [optouts.file_summary(conn, f, None, p.reports) for f in sorted(optouts.inbox_dir().glob("*.csv"))]
    finally:
        conn.close()
    print(optouts.format_summary(summaries))


def demo_clock(today: dt.date) -> dt.datetime:
    """The demo sends at 19:00 UTC today (11:00 in Las Vegas, 14:00 in New York): inside every
    sample recipient's hours whenever `make demo` runs."""
    return dt.datetime.combine(today, dt.time(19, 0), tzinfo=dt.UTC)


def _print_outbox_line() -> None:
    from optline.messaging import outbox

    conn = warehouse.connect(read_only=True)
    try:
        counts = outbox.status_counts(conn)
    finally:
        conn.close()
    parts = [f"{r['kind']} {r['status']}{' (' + r['status_reason'] + ')' if r['status_reason'] else ''} "
             f"{r['messages']}" for r in counts]
    print(f"    outbox: {', '.join(parts) or 'empty'}")


def cmd_demo(args: argparse.Namespace) -> int:
    from optline.consent import confirmations, inbound, optouts

    p = paths()
    cmd_init_key(args)
    logs = p.data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    today = dt.date.today()
    send_conf = {"as_of": demo_clock(today).isoformat()}
    print(f"1/7 Sample inputs in {p.inbox}")
    cmd_samples(argparse.Namespace(inbox=None, force=False))
    print("2/7 Contact import")
    ok = _run_dag("contact_import", logs)
    print("\nImport summary\n")
    status = _print_summary()
    _print_held(p)
    print(f"\n3/7 Bulk opt-out files in {optouts.inbox_dir()}")
    if not any(optouts.inbox_dir().glob("*.csv")):
        optouts.write_optout_samples(optouts.inbox_dir(), today)
    ok = _run_dag("optout_import", logs) and ok
    _print_optout_summaries(p)
    print("\n4/7 Welcome texts (double opt-in) for the imported numbers, sent with the sandbox provider")
    print(f"    (clock {send_conf['as_of']}: inside the sample recipients' hours; the sandbox records in "
          f"{p.data_dir / 'sandbox' / 'messages.jsonl'})")
    ok = _run_dag("welcome_messages", logs) and ok
    ok = _run_dag("message_dispatch", logs, send_conf) and ok
    _print_outbox_line()
    print(f"\n5/7 Inbound texts (STOP, START/YES, HELP, keywords) in {inbound.inbound_inbox()}")
    if not any(inbound.inbound_inbox().glob("*.csv")):
        inbound.write_inbound_samples(inbound.inbound_inbox(), today)
    ok = _run_dag("inbound_messages", logs) and ok
    _print_inbound_summaries(p)
    folder = confirmations.confirmations_inbox()
    print(f"\n6/7 Web confirmations (the sign-up page's export) in {folder}")
    if not any(folder.glob("*.csv")):
        confirmations.write_samples(folder, today, ["+17025550119", "+13055550112"])
    ok = _run_dag("web_confirmations", logs) and ok
    print("    then the replies the inbound texts queued (help, keyword welcome) go out:")
    ok = _run_dag("message_dispatch", logs, send_conf) and ok
    print("\n7/7 The outbox, the conversion per import, and the audiences after opt-outs and confirmations\n")
    cmd_outbox(args)
    print()
    cmd_query(argparse.Namespace(sql=AUDIENCE_QUERY, max_rows=20))
    if not ok:
        status = 1
    print(f"""
Where to look
  warehouse (DuckDB):  {p.warehouse}
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
    print("  " + EXAMPLE_QUERY.replace("\n", "\n  "))
    cmd_query(argparse.Namespace(sql=EXAMPLE_QUERY, max_rows=20))
    return status


def _print_held(p) -> None:
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
  or here: .venv/bin/optline review {b['batch_id']} --approve --by <your name>   (or --refuse)""")


def _clock_arg(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    when = dt.datetime.fromisoformat(value)
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def cmd_welcome(args: argparse.Namespace) -> int:
    from optline.messaging import outbox
    from optline.messaging.settings import load_config

    conn = warehouse.connect()
    try:
        now = _clock_arg(args.as_of) or dt.datetime.now(dt.UTC)
        result = outbox.enqueue_welcomes(conn, load_config().welcome, now)
    finally:
        conn.close()
    print(f"queued {result.queued} welcome(s)" + (f": {result.by_list}" if result.by_list else ""))
    return 0


def cmd_send(args: argparse.Namespace) -> int:
    from optline.config import airflow_connection
    from optline.messaging import dispatch, providers, quiethours
    from optline.messaging.settings import load_config, sandbox_dir

    config = load_config()
    name = args.provider or config.provider
    conn_id = providers.connection_id(name)
    provider = providers.build_from_connection(name, airflow_connection(conn_id) if conn_id else None,
                                               sandbox_dir=sandbox_dir())
    start = _clock_arg(args.as_of)
    clock = dispatch.clock_from(start) if start else dispatch.wall_clock
    run = RunContext(as_of=clock(), dag_id="cli", run_id=f"cli-{os.getpid()}")
    try:
        conn = warehouse.connect()
        try:
            result = dispatch.dispatch(conn, provider, run, config.dispatch, quiethours.load_policy(), clock=clock)
        finally:
            conn.close()
    finally:
        provider.close()
    print(result.line())
    return 0


def cmd_outbox(args: argparse.Namespace) -> int:
    from optline.messaging import outbox

    conn = warehouse.connect(read_only=True)
    try:
        counts, rows = outbox.status_counts(conn), outbox.conversion(conn)
    finally:
        conn.close()
    print("Outbox (kind, status, reason, messages)\n" + outbox.format_status(counts))
    print("\nConversion per import\n" + outbox.format_conversion(rows))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="optline", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress of each step")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("demo", help="sample inputs -> contact_import DAG -> summary and where to look")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("samples", help="write the sample inbox files with their manifests")
    p.add_argument("--inbox", help="folder to write to (default: OPTLINE_INBOX or data/inbox)")
    p.add_argument("--force", action="store_true", help="rewrite files that exist (they will import again)")
    p.set_defaults(func=cmd_samples)

    p = sub.add_parser("import", help="import files without Airflow (same steps as the DAG)")
    p.add_argument("files", nargs="*", help="files to import (default: every file in the inbox)")
    p.add_argument("--inbox", help="folder to import from when no FILE is given")
    p.add_argument("--as-of", help="clock for the row rules, ISO 8601 (default: now, UTC)")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("summary", help="per-file summary of the inbox files as the warehouse has them")
    p.add_argument("--inbox", help="folder to summarize (default: OPTLINE_INBOX or data/inbox)")
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("review", help="list batches awaiting review, or approve/refuse one (outside Airflow)")
    p.add_argument("batch", nargs="?", type=int, help="the batch to decide (omit to list the held batches)")
    decision = p.add_mutually_exclusive_group()
    decision.add_argument("--approve", action="store_true", help="merge the batch's accepted rows")
    decision.add_argument("--refuse", action="store_true", help="end the batch as refused; nothing merges")
    p.add_argument("--by", default=os.environ.get("USER", "reviewer"), help="who decides (default: $USER)")
    p.add_argument("--reason", help="a note kept with the decision")
    p.set_defaults(func=cmd_review)

    p = sub.add_parser("delete", help="delete one list's contacts, or all, keeping their suppression")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--list", help="delete the contacts on this list (name, any case)")
    target.add_argument("--all", action="store_true", help="delete every contact")
    p.add_argument("--by", default=os.environ.get("USER", "operator"), help="who asks (kept in ops.deletions)")
    p.add_argument("--yes", action="store_true", help="really delete (without it, nothing happens)")
    p.set_defaults(func=cmd_delete)

    p = sub.add_parser("listops", help="apply a list touch-up file: add/remove members and tags, suspend/reactivate")
    p.add_argument("file", help="CSV with columns action, phone, list, tag")
    p.add_argument("--country", default="US", help="default country for national numbers (default US)")
    p.set_defaults(func=cmd_listops)

    p = sub.add_parser("welcome", help="queue the welcome (double opt-in) of every pending member that has none")
    p.add_argument("--as-of", help="clock the welcomes are queued at, ISO 8601 (default: now)")
    p.set_defaults(func=cmd_welcome)

    p = sub.add_parser("send", help="reconcile unknown outcomes, then send the outbox's due messages")
    p.add_argument("--provider", choices=("sandbox", "twilio", "webhook"),
                   help="default: OPTLINE_MESSAGE_PROVIDER or config/messaging.yaml (sandbox)")
    p.add_argument("--as-of", help="a clock starting here, ISO 8601 (default: the wall clock); quiet hours use it")
    p.set_defaults(func=cmd_send)

    p = sub.add_parser("outbox", help="the outbox by kind and status, and the conversion per import")
    p.set_defaults(func=cmd_outbox)

    p = sub.add_parser("init-key", help="write a random number HMAC key file if none exists (OPTLINE_HMAC_KEY wins)")
    p.set_defaults(func=cmd_init_key)

    p = sub.add_parser("migrate", help="bring the warehouse schema up to date (imports do this too)")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("query", help="run one read-only SQL query against the warehouse")
    p.add_argument("sql", help='e.g. "select * from ops.batches"')
    p.add_argument("--max-rows", type=int, default=40)
    p.set_defaults(func=cmd_query)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except (warehouse.WarehouseError, FileNotFoundError, ConfigError, ProviderAuthError,
            *pipeline.INPUT_ERRORS) as exc:
        print(f"optline: {exc}", file=sys.stderr)
        return 2
    except duckdb.CatalogException as exc:
        print(f"optline: {exc}\n(an older warehouse? `optline migrate` brings its schema up to date)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
