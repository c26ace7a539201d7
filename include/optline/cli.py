"""`optline`: the command line for demos, one-off imports and quick looks at the warehouse.

    optline demo                 sample inputs -> contact_import DAG (Airflow) -> summary
    optline samples              write the sample inbox files (kept if they exist)
    optline import [FILE ...]    import files (default: the inbox) without Airflow
    optline summary              how each inbox file stands in the warehouse
    optline query "SQL"          run a read-only query against the warehouse
    optline review [BATCH]       list held batches, or --approve / --refuse one
    optline delete --list NAME   delete a list's contacts (or --all); suppression stays
    optline delete --number N    delete everything about one number; its suppression stays
    optline export-person --number N --out FILE   everything held about one number (a subject's request)
    optline listops FILE         add/remove members and tags, suspend/reactivate numbers
    optline welcome              queue the welcome of every pending member (as the welcome_messages DAG)
    optline send                 send what the outbox has due (as the message_dispatch DAG)
    optline outbox               the outbox by status, and the conversion per import
    optline revocations          list undecided possible revocations, or --decide BATCH:ROW one
    optline init-key             write the number HMAC key file (if none is configured)
    optline migrate              bring the warehouse schema up to date
    optline analyst-sql          what to type in any DuckDB client to read the warehouse (a lake)
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
from pathlib import Path

import duckdb

from optline import access, config, demo, failpoints, lake, warehouse
from optline.config import ConfigError, paths
from optline.contacts import gate, pipeline
from optline.contacts.batch import BatchNotFoundError, load_batch
from optline.intake.discovery import discover
from optline.intake.errors import INPUT_ERRORS
from optline.messaging.dispatch import ProviderAuthError
from optline.reports import batches as reports
from optline.runs import RunContext


def _inbox_files(args: argparse.Namespace) -> list[Path]:
    if getattr(args, "files", None):
        return [Path(f).resolve() for f in args.files]
    return [f.path for f in discover(Path(args.inbox) if args.inbox else paths().inbox)]


def cmd_samples(args: argparse.Namespace) -> int:
    return demo.print_samples(Path(args.inbox) if args.inbox else None, force=args.force)


def cmd_import(args: argparse.Namespace) -> int:
    files = _inbox_files(args)
    as_of = dt.datetime.fromisoformat(args.as_of) if args.as_of else dt.datetime.now(dt.UTC)
    # --as-of is a clock override: recorded with who ran it and the real time (the policy must allow it).
    override = {"clock_override_by": f"{access.os_account()} (optline import --as-of)",
                "real_time": dt.datetime.now(dt.UTC)} if args.as_of else {}
    run = RunContext(as_of=as_of if as_of.tzinfo else as_of.replace(tzinfo=dt.UTC), dag_id="cli", **override)
    failpoints.reached("before_migrate")
    conn = warehouse.connect()
    failpoints.reached("after_migrate")
    try:
        summaries = [pipeline.import_file(conn, f, run, paths().reports) for f in files]
    finally:
        conn.close()
    print(reports.format_summary(summaries))
    return 1 if any(s.error for s in summaries) else 0


def cmd_summary(args: argparse.Namespace) -> int:
    return demo.print_summary(Path(args.inbox) if args.inbox else None)


def cmd_query(args: argparse.Namespace) -> int:
    return demo.show_query(args.sql, args.max_rows)


def cmd_review(args: argparse.Namespace) -> int:
    from optline.contacts.review import held_for_review

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
        try:
            batch = load_batch(conn, args.batch)
        except BatchNotFoundError:
            batch = None
        if batch is None or batch.status != "awaiting_review":
            print(f"optline: batch {args.batch} is {batch.status if batch else 'unknown'}, not awaiting review",
                  file=sys.stderr)
            return 2
        # Who decides is this process's OS account (optline.access), never a typed name.
        try:
            who = access.require("review")
        except access.AccessDenied as exc:
            print(f"optline: batch {args.batch}: {exc}", file=sys.stderr)
            return 2
        note = _review_note(args)
        refusal = access.four_eyes_refusal(conn, batch.batch_id, batch.policy.four_eyes, who) if args.approve else None
        if refusal:
            held = gate.record_decision(conn, batch, "awaiting_review", who, f"approval refused: {refusal}",
                                        dag_id="cli", decided_by_id=who)
            pipeline.write_review_report(conn, held, paths().reports)  # else the batch looks behind its report
            print(f"optline: batch {args.batch}: {refusal} (it stays awaiting review)", file=sys.stderr)
            return 2
        decision = "approved" if args.approve else "refused"
        decided = gate.record_decision(conn, batch, decision, who, note or "via optline review", dag_id="cli",
                                       decided_by_id=who)
        if args.approve:
            summary = pipeline.merge(conn, decided, paths().reports)
            print(f"batch {args.batch} approved by {who} and merged: {summary.new_contacts} new contacts, "
                  f"{summary.merged_contacts} merged")
        else:
            pipeline.write_review_report(conn, decided, paths().reports)
            print(f"batch {args.batch} refused by {who}: nothing merged")
    finally:
        conn.close()
    return 0


def _review_note(args: argparse.Namespace) -> str | None:
    """--note (or --reason); the deprecated --by is kept as the note, never as who decides."""
    if args.by_note:
        print(f"optline: --by is deprecated and no longer says who decides (that is the operating-system "
              f"account, {access.os_account()}); its text is kept as the note: use --note", file=sys.stderr)
    return "; ".join(n for n in (args.note, args.by_note) if n) or None


def cmd_delete(args: argparse.Namespace) -> int:
    from optline.contacts.deletion import delete_contacts

    if not args.yes:
        target = "every contact" if args.all else f"the contacts on list {args.list!r}"
        if args.number:
            target = f"the number {args.number!r} with every contact at it"
        print(f"optline: this deletes {target} and their personal data for good (the consent ledger "
              "keeps their suppression). Add --yes to go ahead.", file=sys.stderr)
        return 2
    try:
        who = access.require("delete")  # recorded as who asked: the OS account, never a typed name
    except access.AccessDenied as exc:
        print(f"optline: {exc}", file=sys.stderr)
        return 2
    if args.by:
        print("optline: --by is deprecated and ignored: a deletion is recorded as the operating-system "
              f"account ({who})", file=sys.stderr)
    conn = warehouse.connect()
    try:
        result = delete_contacts(conn, list_name=args.list, everyone=args.all, number=args.number,
                                 default_country=args.country, requested_by=who)
    except ValueError as exc:  # a --number that does not parse
        print(f"optline: {exc}", file=sys.stderr)
        return 2
    finally:
        conn.close()
    print(f"deleted {result.contacts_deleted} contact(s), {result.numbers_deleted} number(s), "
          f"{result.staged_rows_deleted} staged row(s); opt-outs stay in force")
    return 0


def cmd_export_person(args: argparse.Namespace) -> int:
    from optline.contacts.subject import export_person

    try:  # a data subject's export holds personal data: the accounts that may delete may export
        who = access.require("delete")
    except access.AccessDenied as exc:
        print(f"optline: {exc}", file=sys.stderr)
        return 2
    conn = warehouse.connect()
    try:
        result = export_person(conn, args.number, out=Path(args.out), default_country=args.country,
                               requested_by=who)
    except ValueError as exc:
        print(f"optline: {exc}", file=sys.stderr)
        return 2
    finally:
        conn.close()
    held = ", ".join(f"{section} {n}" for section, n in result.counts.items() if n) or "nothing"
    print(f"wrote {result.path} ({held}); recorded in ops.subject_exports. It holds personal data: "
          "hand it to the person who asked, keep no copy")
    return 0


def cmd_listops(args: argparse.Namespace) -> int:
    from optline.contacts import listops

    run = RunContext(as_of=dt.datetime.now(dt.UTC), dag_id="cli")
    conn = warehouse.connect()
    try:
        result = listops.apply_file(conn, Path(args.file).resolve(), run, paths().reports,
                                    default_country=args.country)
    except INPUT_ERRORS as exc:
        print(f"optline: {exc}", file=sys.stderr)
        return 2
    finally:
        conn.close()
    print(listops.format_result(result))
    return 1 if result.rejected else 0


def cmd_init_key(args: argparse.Namespace) -> int:
    return demo.print_init_key()


def cmd_migrate(args: argparse.Namespace) -> int:
    conn = warehouse.connect(migrate_schema=False)
    try:
        applied = warehouse.migrate(conn)
    finally:
        conn.close()
    print(f"applied {len(applied)} schema file(s): {', '.join(applied)}" if applied else "schema up to date")
    return 0


def cmd_maintain(args: argparse.Namespace) -> int:
    conn = warehouse.connect()
    try:
        print(warehouse.maintain(conn, keep_days=args.keep_days))
    finally:
        conn.close()
    return 0


def _days(value: str) -> float:
    days = float(value)
    if days < 0:
        raise argparse.ArgumentTypeError("a number of days, 0 or more")
    return days


def cmd_convert_to_lake(args: argparse.Namespace) -> int:
    data = paths().data_dir
    source = Path(args.source) if args.source else data / config.WAREHOUSE_FILES["duckdb"]
    target = Path(args.target) if args.target else data / config.WAREHOUSE_FILES["ducklake"]
    copied = warehouse.convert_to_lake(source, target)
    rows = sum(copied.values())
    print(f"copied {rows:,} rows in {sum(1 for n in copied.values() if n)} tables from {source} into the lake "
          f"{target}:")
    for table, count in copied.items():
        if count:
            print(f"  {table:40s} {count:>12,}")
    print(f"The DuckDB file is kept as it was. Point the pipeline at the lake: OPTLINE_WAREHOUSE={target} (and "
          "the Airflow connection optline_warehouse's host, if set), unset OPTLINE_WAREHOUSE_FORMAT=duckdb if set; "
          "remove the file once you have checked the lake.")
    return 0


def cmd_analyst_sql(args: argparse.Namespace) -> int:
    where = lake.location()
    if where is None:
        print("optline: the warehouse is one DuckDB file (OPTLINE_WAREHOUSE_FORMAT=duckdb): while a run writes it "
              "no other process can open it; read it with `optline query` between runs, or set "
              "OPTLINE_WAREHOUSE_FORMAT=ducklake (README, \"Querying the warehouse\")", file=sys.stderr)
        return 2
    text = lake.analyst_sql(where, alias=args.alias)
    if args.init_file:
        Path(args.init_file).write_text(text, encoding="utf-8")
        print(f"wrote {args.init_file}: run `duckdb -init {args.init_file}` (DuckDB {duckdb.__version__}), or run "
              "its lines in a notebook's DuckDB connection")
    else:
        print(text, end="")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    return demo.run()


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
    return demo.print_outbox()


def cmd_revocations(args: argparse.Namespace) -> int:
    """List the undecided possible revocations (masked), or decide one as this OS account."""
    from optline.consent import revocations

    conn = warehouse.connect()
    try:
        if args.decide is None:
            rows = revocations.list_undecided(conn)
            for r in rows:
                received = r["received_at"].isoformat() if r["received_at"] else "unreadable"
                print(f"{r['batch_id']}:{r['row_number']}  {r['number']}  {r['rule']}  received {received}  "
                      f"{r['business_days']} business day(s)  decide by {r['decide_by']}  {r['clock']}")
            print(f"{len(rows)} possible revocation(s) undecided" if rows else "no possible revocation is undecided")
            return 0
        batch, _, row = args.decide.partition(":")
        if not (batch.isdigit() and row.isdigit()) or args.opt_out == args.not_revocation:
            print("optline: say --decide BATCH:ROW (as listed) and --opt-out or --not-revocation", file=sys.stderr)
            return 2
        decision = "opt_out" if args.opt_out else "not_revocation"
        try:
            decided = revocations.decide(conn, int(batch), int(row), decision, note=args.note)
        except (access.AccessDenied, revocations.RevocationDecisionError) as exc:
            print(f"optline: {exc}", file=sys.stderr)
            return 2
        print(f"{decided.batch_id}:{decided.row_number} decided {decided.decision} by {decided.decided_by}, "
              f"{decided.business_days} business day(s) after receipt"
              + (": the number is suppressed on its channel" if decided.events_appended else ""))
    finally:
        conn.close()
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
    p.add_argument("--note", "--reason", dest="note", help="a note kept with the decision (who decides is "
                   "your operating-system account, which must be a reviewer in config/access.yaml)")
    p.add_argument("--by", dest="by_note", help="deprecated: kept as the note, never as who decides")
    p.set_defaults(func=cmd_review)

    p = sub.add_parser("delete", help="delete one list's contacts, or all, keeping their suppression")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--list", help="delete the contacts on this list (name, any case)")
    target.add_argument("--all", action="store_true", help="delete every contact")
    target.add_argument("--number", help='delete everything about one number, e.g. "+1 415 555 0101"')
    p.add_argument("--country", default="US", help="default country for a national --number (default US)")
    p.add_argument("--by", help="deprecated and ignored: who asks is your operating-system account (a deleter "
                   "in config/access.yaml), kept in ops.deletions")
    p.add_argument("--yes", action="store_true", help="really delete (without it, nothing happens)")
    p.set_defaults(func=cmd_delete)

    p = sub.add_parser("export-person", help="write everything held about one number to a JSON file (a data "
                       "subject's request), recorded in ops.subject_exports")
    p.add_argument("--number", required=True, help='the number, e.g. "+1 415 555 0101"')
    p.add_argument("--out", required=True, help="the JSON file to write (not under the reports folder)")
    p.add_argument("--country", default="US", help="default country for a national number (default US)")
    p.set_defaults(func=cmd_export_person)

    p = sub.add_parser("listops", help="apply a list touch-up file: add/remove members and tags, suspend/reactivate")
    p.add_argument("file", help="CSV with columns action, phone, list, tag (and opted_in_at, source)")
    p.add_argument("--country", help="default country for national numbers (default: the manifest's, else US)")
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

    p = sub.add_parser("revocations", help="list the undecided possible revocations (inbound), or decide one")
    p.add_argument("--decide", metavar="BATCH:ROW", help="the message to decide, as listed")
    verdict = p.add_mutually_exclusive_group()
    verdict.add_argument("--opt-out", action="store_true", help="it revokes consent: opt the number out now")
    verdict.add_argument("--not-revocation", action="store_true", help="it does not revoke consent: nothing changes")
    p.add_argument("--note", help="a note kept with the decision (who decides is your operating-system account, "
                   "which must be a reviewer in config/access.yaml)")
    p.set_defaults(func=cmd_revocations)

    p = sub.add_parser("init-key", help="write a random number HMAC key file if none exists (OPTLINE_HMAC_KEY wins)")
    p.set_defaults(func=cmd_init_key)

    p = sub.add_parser("migrate", help="bring the warehouse schema up to date (imports do this too)")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("maintain", help="the warehouse's upkeep (the nightly warehouse_maintenance DAG does it): a "
                       "lake's small files merged, old snapshots expired, unused files deleted; a DuckDB file "
                       "checkpointed")
    p.add_argument("--keep-days", type=_days, default=None, metavar="DAYS",
                   help="days of snapshots a lake keeps for time travel (default OPTLINE_LAKE_KEEP_DAYS, else 7)")
    p.set_defaults(func=cmd_maintain)

    p = sub.add_parser("convert-to-lake", help="copy a warehouse that is one DuckDB file into a new lake (all "
                       "tables in one transaction; the file is kept), so analysts can read while runs write")
    p.add_argument("--from", dest="source", metavar="FILE",
                   help="the DuckDB file (default: warehouse.duckdb in the data folder)")
    p.add_argument("--to", dest="target", metavar="CATALOG",
                   help="the new lake's SQLite catalog (default: warehouse.sqlite in the data folder; its data "
                   "goes beside it in .files/; with OPTLINE_LAKE_CATALOG=postgres:... the catalog is there)")
    p.set_defaults(func=cmd_convert_to_lake)

    p = sub.add_parser("analyst-sql", help="print what to type in any DuckDB 1.5.5 client (shell, notebook, BI "
                       "tool) to read the warehouse while runs write it (read-only, committed batches only)")
    p.add_argument("--alias", default="optline", help="the catalog name to attach it as (default optline)")
    p.add_argument("--init-file", metavar="PATH", help="write it to PATH, for `duckdb -init PATH`")
    p.set_defaults(func=cmd_analyst_sql)

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
    except (warehouse.WarehouseError, lake.LakeError, FileNotFoundError, ConfigError, ProviderAuthError,
            *INPUT_ERRORS) as exc:
        print(f"optline: {exc}", file=sys.stderr)
        return 2
    except duckdb.CatalogException as exc:
        print(f"optline: {exc}\n(an older warehouse? `optline migrate` brings its schema up to date)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
