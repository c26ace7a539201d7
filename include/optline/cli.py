"""`optline`: the command line for demos, one-off imports and quick looks at the warehouse.

    optline demo                 sample inputs -> contact_import DAG (Airflow) -> summary
    optline samples              write the sample inbox files (kept if they exist)
    optline import [FILE ...]    import files (default: the inbox) without Airflow
    optline import FILE --list NAME   write FILE's manifest for you to review (imports nothing)
    optline summary              how each inbox file stands in the warehouse
    optline inspect FILE         what an import of FILE would do (reading, columns, verdicts), writing nothing
    optline query "SQL"          run a read-only query against the warehouse (--format table|csv|json)
    optline review [BATCH]       list held batches, or --approve / --refuse one
    optline delete --list NAME   delete a list's contacts (or --all); suppression stays
    optline delete --number N    delete everything about one number; its suppression stays
    optline export-person --number N --out FILE   everything held about one number (a subject's request)
    optline opt-out NUMBER --note TEXT   opt one number out by hand (recorded with who did it)
    optline opt-in NUMBER --note TEXT    opt it back in at the person's own request (the note is the evidence)
    optline history NUMBER       the number's consent timeline: events, lists, messages, with file and line
    optline export-audience LIST --format csv --output FILE   a list's sendable members for another tool
    optline listops FILE         add/remove members and tags, suspend/reactivate numbers
    optline welcome              queue the welcome of every pending member (as the welcome_messages DAG)
    optline send                 send what the outbox has due (as the message_dispatch DAG)
    optline outbox               the outbox by status, and the conversion per import
    optline revocations          list undecided possible revocations, or --decide BATCH:ROW one
    optline init-key             write the number HMAC key file (if none is configured)
    optline migrate              bring the warehouse schema up to date
    optline analyst-sql          what to type in any DuckDB client to read the warehouse (a lake)
    optline maintain             the warehouse's upkeep (as the warehouse_maintenance DAG)
    optline convert-to-lake      copy a one-file DuckDB warehouse into a new lake

`optline COMMAND --help` says what a command reads and writes, with examples; -v (before or
after COMMAND) logs each step; --version prints the versions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import sys
from importlib import metadata
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
from optline.reports import tables
from optline.runs import RunContext


def _inbox_files(args: argparse.Namespace) -> list[Path]:
    if getattr(args, "files", None):
        return [Path(f).resolve() for f in args.files]
    return [f.path for f in discover(Path(args.inbox) if args.inbox else paths().inbox)]


def cmd_samples(args: argparse.Namespace) -> int:
    return demo.print_samples(Path(args.inbox) if args.inbox else None, force=args.force)


def _import_run(args: argparse.Namespace) -> RunContext:
    """The run an import (or an inspection) is: the CLI, at --as-of or now. --as-of is a clock
    override: recorded with who ran it and the real time (the policy must allow it)."""
    as_of = dt.datetime.fromisoformat(args.as_of) if args.as_of else dt.datetime.now(dt.UTC)
    override = {"clock_override_by": f"{access.os_account()} (optline {args.command} --as-of)",
                "real_time": dt.datetime.now(dt.UTC)} if args.as_of else {}
    return RunContext(as_of=as_of if as_of.tzinfo else as_of.replace(tzinfo=dt.UTC), dag_id="cli", **override)


def cmd_import(args: argparse.Namespace) -> int:
    if args.lists:
        return _write_manifests(args)
    files = _inbox_files(args)
    run = _import_run(args)
    failpoints.reached("before_migrate")
    conn = warehouse.connect()
    failpoints.reached("after_migrate")
    try:
        summaries = [pipeline.import_file(conn, f, run, paths().reports) for f in files]
    finally:
        conn.close()
    print(reports.format_summary(summaries))
    return 1 if any(s.error for s in summaries) else 0


def _write_manifests(args: argparse.Namespace) -> int:
    """`optline import FILE --list NAME`: write each FILE's manifest (none may have one), import nothing."""
    from optline.contacts import preview
    from optline.intake.manifest import manifest_path_for, manifest_text, write_new_manifest

    if not args.files:
        print("optline: --list writes the manifest of the files named: say which, e.g. "
              "`optline import spring.csv --list \"Spring Promo\"`", file=sys.stderr)
        return 2
    files = [Path(f).resolve() for f in args.files]
    governed = [(f, found) for f in files if (found := manifest_path_for(f)) is not None]
    if governed:
        for f, found in governed:
            print(f"optline: {f.name} has a manifest already, {found.name}; nothing was written. Edit it and "
                  f"import without --list", file=sys.stderr)
        return 2
    guesses = [(f, preview.guess_manifest(f)) for f in files]  # every file read before any is written
    for f, guess in guesses:
        how = guess.head.read
        text = manifest_text(f, args.lists, has_header=how.has_header, columns=guess.columns,
                             not_mapped=guess.not_mapped, encoding=how.encoding, delimiter=how.delimiter,
                             sheet=how.sheet, other_sheets=how.other_sheets,
                             written=f"`optline import --list` on {dt.date.today().isoformat()}")
        written = write_new_manifest(f, text)
        missing = "" if "phone" in guess.columns else " It found no phone column: name it under `columns:`."
        print(f"wrote {written}: nothing was imported. Check it (the lines marked CHECK).{missing} Then run "
              f"`optline import {f.name}` (or `optline inspect {f.name}` first, to see what the import would do)")
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    from optline.contacts import preview

    manifest = Path(args.manifest).resolve() if args.manifest else None
    if manifest is not None and not manifest.is_file():
        print(f"optline: --manifest {args.manifest}: no such file", file=sys.stderr)
        return 2
    try:
        found = preview.inspect_file(Path(args.file).resolve(), _import_run(args), manifest, first_rows=args.rows)
    except INPUT_ERRORS as exc:  # what the import would say (file, line, cause), and its exit code
        print(f"optline: {exc}", file=sys.stderr)
        return 1
    if args.format == "json":
        print(json.dumps(found.as_dict(), indent=2, ensure_ascii=False, default=str))
    else:
        print(preview.format_inspection(found))
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    return demo.print_summary(Path(args.inbox) if args.inbox else None)


def cmd_query(args: argparse.Namespace) -> int:
    conn = warehouse.connect(read_only=True)
    try:
        relation = conn.sql(args.sql)
        if relation is None:
            print("optline: that statement returns no rows: `optline query` runs one select", file=sys.stderr)
            return 2
        if args.output:
            written = tables.write_result_file(relation, args.format, Path(args.output), max_rows=args.max_rows)
            print(f"wrote {args.output}" + (f": {written:,} row(s)" if written is not None else ""), file=sys.stderr)
        else:
            tables.write_result(relation, args.format, sys.stdout, max_rows=args.max_rows)
    finally:
        conn.close()
    return 0


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


def cmd_consent(args: argparse.Namespace) -> int:
    """`optline opt-out` / `opt-in`: one number, recorded as this OS account (access action `consent`)."""
    from optline.consent import manual

    try:
        who = manual.cli_recorder()
    except access.AccessDenied as exc:
        print(f"optline: {exc}", file=sys.stderr)
        return 2
    request = "opt_out" if args.command == "opt-out" else "opt_in"
    conn = warehouse.connect()
    try:
        change = manual.record(conn, args.number, request, args.channel, by=who, note=args.note,
                               default_country=args.country)
    except manual.NothingToChange as exc:
        print(f"optline: {exc}", file=sys.stderr)
        return 1
    except manual.ManualConsentError as exc:
        print(f"optline: {exc}", file=sys.stderr)
        return 2
    finally:
        conn.close()
    now = ", ".join(f"{c} {'opted out' if s else 'may be messaged'}" for c, s in change.suppressed.items())
    print(f"{change.number_masked}: {change.kind} on {change.scope} recorded by {change.recorded_by} as consent event "
          f"{change.event_id}, effective now ({now}); every audience follows at once")
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    from optline.consent import manual, timeline

    conn = warehouse.connect(read_only=True)
    try:
        found = timeline.timeline(conn, args.number, args.country)
    except manual.ManualConsentError as exc:
        print(f"optline: {exc}", file=sys.stderr)
        return 2
    finally:
        conn.close()
    print(timeline.as_json(found) if args.format == "json" else timeline.format_table(found))
    return 0


def cmd_export_audience(args: argparse.Namespace) -> int:
    from optline.contacts import audience_export

    try:  # masked: whoever may read the warehouse; in full: an account allowed to export
        who = access.require("export") if args.unmasked else access.os_account()
    except access.AccessDenied as exc:
        print(f"optline: --unmasked: {exc}", file=sys.stderr)
        return 2
    attributes = tuple(a.strip() for a in (args.attributes or "").split(",") if a.strip())
    conn = warehouse.connect()
    try:
        result = audience_export.export_audience(
            conn, args.list, Path(args.output), args.format, exported_by=who, channel=args.channel,
            attributes=attributes, tags=args.tags, unmasked=args.unmasked, include_pending=args.include_pending)
    except audience_export.AudienceExportError as exc:
        print(f"optline: {exc}", file=sys.stderr)
        return 2
    finally:
        conn.close()
    print(f"wrote {result.path}: {result.rows:,} member(s) of {result.list_name}, numbers "
          f"{'masked' if result.masked else 'IN FULL'}, columns {', '.join(result.columns)}; sha256 "
          f"{result.sha256[:16]}…, recorded in ops.audience_exports" +
          ("" if result.masked else ". It holds personal data: hand it over by a safe channel, keep no copy"))
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


def cmd_import_fcc(args: argparse.Namespace) -> int:
    from optline.lookup import fcc_rnd

    checked_at = dt.datetime.fromisoformat(args.answered_on).replace(tzinfo=dt.UTC) if args.answered_on else None
    conn = warehouse.connect()
    try:
        result = fcc_rnd.import_file(conn, Path(args.file).resolve(), checked_at=checked_at)
    except (fcc_rnd.FccFileError, OSError, UnicodeDecodeError) as exc:
        print(f"optline: {exc}", file=sys.stderr)
        return 2
    finally:
        conn.close()
    answers = ", ".join(f"{k} {v}" for k, v in sorted(result.by_answer.items())) or "none"
    print(f"{result.file_name}: {result.rows} line(s) read, {result.imported} FCC answer(s) kept ({answers}), "
          f"{len(result.invalid_lines)} invalid" + (f" (lines {', '.join(map(str, result.invalid_lines[:10]))}"
                                                    f"{' ...' if len(result.invalid_lines) > 10 else ''})"
                                                    if result.invalid_lines else ""))
    return 1 if result.invalid_lines else 0


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


def version_text() -> str:
    """Optline's version and the versions it runs with (from the installed packages' metadata:
    Airflow is not imported for it)."""
    def installed(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    return (f"optline {installed('optline')} (duckdb {duckdb.__version__}, apache-airflow "
            f"{installed('apache-airflow')}, great-expectations {installed('great-expectations')}, "
            f"Python {platform.python_version()})")


_FORMATTER = argparse.RawDescriptionHelpFormatter


def _common_options() -> argparse.ArgumentParser:
    """Options every command takes, before or after its name (`optline -v import` = `optline import -v`):
    SUPPRESS as the default, so that a subcommand that was not given one keeps the top level's."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="log each step's progress (INFO) on stderr")
    return common


def _command(sub: argparse._SubParsersAction, common: argparse.ArgumentParser, name: str, func, help: str,
             description: str) -> argparse.ArgumentParser:
    p = sub.add_parser(name, help=help, description=description, parents=[common], formatter_class=_FORMATTER)
    p.set_defaults(func=func)
    return p


def build_parser() -> argparse.ArgumentParser:
    common = _common_options()
    parser = argparse.ArgumentParser(prog="optline", description=__doc__, formatter_class=_FORMATTER,
                                     parents=[common])
    parser.add_argument("--version", action="version", version=version_text())
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _command(sub, common, "demo", cmd_demo, "sample inputs -> contact_import DAG -> summary and where to look", """\
Run the whole pipeline once on sample data, through Airflow: write the sample inputs (contact
lists, opt-outs, inbound texts, web confirmations), run each DAG with `airflow dags test` (its
log under data/logs/), and print what each did and where its reports are. Reads and writes the
data folder (OPTLINE_DATA_DIR, default data/).

  optline demo          (what `make demo` runs)""")

    p = _command(sub, common, "samples", cmd_samples, "write the sample inbox files with their manifests", """\
Write the sample contact files (CSV, XLSX, text) and their manifests into the inbox; files that
exist are kept unless --force. Writes only the inbox folder.

  optline samples --inbox /tmp/inbox""")
    p.add_argument("--inbox", help="folder to write to (default: OPTLINE_INBOX or data/inbox)")
    p.add_argument("--force", action="store_true", help="rewrite files that exist (they will import again)")

    p = _command(sub, common, "import", cmd_import, "import files without Airflow (same steps as the DAG)", """\
Import contact files as the contact_import DAG does (stage, row rules, expectations, merge),
without Airflow: each FILE (default: every file in the inbox) with its manifest. Reads the
files and their manifests; writes the warehouse and the reports folder (reports/batches/<id>/).
Exits 1 when a file did not import.

With --list NAME and a FILE that has no manifest: nothing is imported; the manifest the file
needs is written beside it (FILE's name with .manifest.yaml), naming the list, the header it
found and which column holds which field, for you to check and then import again. A file that
has a manifest already (its own or the folder's _manifest.yaml) is refused, nothing written.

  optline import data/inbox/spring.csv
  optline import spring.csv --list "Spring Promo"     (writes spring.manifest.yaml; review it)
  optline import spring.csv                           (imports it with that manifest)""")
    p.add_argument("files", nargs="*", help="files to import (default: every file in the inbox)")
    p.add_argument("--inbox", help="folder to import from when no FILE is given")
    p.add_argument("--as-of", help="clock for the row rules, ISO 8601 (default: now, UTC)")
    p.add_argument("--list", dest="lists", action="append", metavar="NAME",
                   help="write FILE's manifest naming list NAME (repeat for several lists) instead of importing")

    p = _command(sub, common, "inspect", cmd_inspect, "what an import of a file would do, writing nothing", """\
Show what `optline import FILE` would do, without writing anything: how the file is read
(kind, encoding, delimiter, header), which column holds which field, the first rows masked
(a phone shows its last two digits only), and the rows read with how many the row rules would
accept and reject, by reason. The import's own staging and row rules run against a throwaway
in-memory warehouse; the warehouse itself is never opened, so it works while a run writes it.
Not known without the warehouse: numbers that opted out before, whether the file was imported
already, and the gate's verdict. A file that cannot be read gives the import's error (file,
line, cause) and exit code 1. Reads FILE, its manifest (or --manifest), the policy and the
number HMAC key only.

  optline inspect data/inbox/spring.csv
  optline inspect export.csv --manifest draft.manifest.yaml --rows 10
  optline inspect spring.csv --format json | jq .rejected_by_reason""")
    p.add_argument("file", help="the contact file (CSV, TSV, TXT, XLSX, XLS)")
    p.add_argument("--manifest", metavar="FILE", help="read with this manifest instead of the file's own")
    p.add_argument("--rows", type=int, default=5, metavar="N", help="first rows to show, masked (default 5)")
    p.add_argument("--as-of", help="clock for the row rules, ISO 8601 (default: now, UTC); the policy must allow it")
    p.add_argument("--format", choices=("text", "json"), default="text", help="text for people (default) or JSON")

    p = _command(sub, common, "summary", cmd_summary, "per-file summary of the inbox files as the warehouse has "
                 "them", """\
For each file in the inbox: its batch, status, rows loaded and rejected and where its reports
are, as the warehouse has them. Reads the inbox and the warehouse (read-only); writes nothing.
Exits 1 when a file did not import.

  optline summary""")
    p.add_argument("--inbox", help="folder to summarize (default: OPTLINE_INBOX or data/inbox)")

    p = _command(sub, common, "review", cmd_review, "list batches awaiting review, or approve/refuse one (outside "
                 "Airflow)", """\
Without BATCH: list the batches held for review, with why and their report. With BATCH and
--approve or --refuse: record the decision as your operating-system account (a reviewer in
config/access.yaml; four eyes when the policy asks) and merge an approved batch. Reads and
writes the warehouse and the batch's report.

  optline review
  optline review 7 --approve --note "checked the source with marketing\"""")
    p.add_argument("batch", nargs="?", type=int, help="the batch to decide (omit to list the held batches)")
    decision = p.add_mutually_exclusive_group()
    decision.add_argument("--approve", action="store_true", help="merge the batch's accepted rows")
    decision.add_argument("--refuse", action="store_true", help="end the batch as refused; nothing merges")
    p.add_argument("--note", "--reason", dest="note", help="a note kept with the decision (who decides is "
                   "your operating-system account, which must be a reviewer in config/access.yaml)")
    p.add_argument("--by", dest="by_note", help="deprecated: kept as the note, never as who decides")

    p = _command(sub, common, "delete", cmd_delete, "delete one list's contacts, or all, keeping their "
                 "suppression", """\
Delete contacts and their personal data for good: those on one list, every contact, or
everything about one number. The consent ledger keeps their opt-outs (suppression stays in
force). Needs --yes; recorded in ops.deletions as your operating-system account (a deleter in
config/access.yaml). Writes the warehouse.

  optline delete --list "Spring Promo" --yes
  optline delete --number "+1 415 555 0101" --yes""")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--list", help="delete the contacts on this list (name, any case)")
    target.add_argument("--all", action="store_true", help="delete every contact")
    target.add_argument("--number", help='delete everything about one number, e.g. "+1 415 555 0101"')
    p.add_argument("--country", default="US", help="default country for a national --number (default US)")
    p.add_argument("--by", help="deprecated and ignored: who asks is your operating-system account (a deleter "
                   "in config/access.yaml), kept in ops.deletions")
    p.add_argument("--yes", action="store_true", help="really delete (without it, nothing happens)")

    p = _command(sub, common, "export-person", cmd_export_person, "write everything held about one number to a "
                 "JSON file (a data subject's request), recorded in ops.subject_exports", """\
Write everything the warehouse holds about one number (contacts, memberships, tags, consent
events, messages, received texts, staged rows) to one JSON file, for the person who asked (a
data subject's access request). Reads the warehouse; writes --out and a row in
ops.subject_exports (as your operating-system account, a deleter in config/access.yaml). The
file holds personal data: keep no copy.

  optline export-person --number "+1 415 555 0101" --out /tmp/request-42.json""")
    p.add_argument("--number", required=True, help='the number, e.g. "+1 415 555 0101"')
    p.add_argument("--out", required=True, help="the JSON file to write (not under the reports folder)")
    p.add_argument("--country", default="US", help="default country for a national number (default US)")

    for name, verb, example in (
            ("opt-out", "opt one number out by hand", '--channel sms --note "asked on the phone, call 2231"'),
            ("opt-in", "opt one number back in at the person's own request",
             '--note "signed form 2026-12-01, ticket 4411"')):
        p = _command(sub, common, name, cmd_consent, f"{verb}, recorded in the consent ledger with who did it", f"""\
{verb[0].upper()}{verb[1:]}. Records one event in the consent ledger (core.consent_events,
method manual) for NUMBER on --channel (default all), with your operating-system account (listed under consent:
in config/access.yaml; else refused, nothing recorded) and the note. Effective at once: the number
leaves (or rejoins) every audience on those channels. An opt-in lifts an opt-out, so it needs the
person's own request: the note says when and how they asked and where the evidence is
(docs/consent_by_hand.md). Nothing is recorded (exit 1) when nothing would change. Writes the
warehouse.

  optline {name} "+1 415 555 0101" {example}""")
        p.add_argument("number", help='the number, e.g. "+1 415 555 0101"')
        p.add_argument("--channel", choices=("sms", "whatsapp", "all"), default="all",
                       help="the channel(s) it covers (default all: every phone contact)")
        p.add_argument("--note", required=name == "opt-in",
                       help="the person's request and where its evidence is (required for opt-in)")
        p.add_argument("--country", default="US", help="default country for a national number (default US)")

    p = _command(sub, common, "history", cmd_history, "a number's consent timeline: every event, list, message, "
                 "with its file and line", """\
Everything that happened to one number, newest first, for a compliance reviewer: every consent
event (who recorded it by hand, or the file and line it came from), list membership,
confirmation, message queued, provider call, delivery report, text received and suspension,
each with its batch, file and line. Found through the number's keyed HMAC, so the ledger's
events of a deleted number still show. No message body and no other number. Reads the
warehouse (read-only); writes nothing.

  optline history "+1 415 555 0101"
  optline history 4155550101 --format json | jq '.entries[] | select(.category == "consent")'""")
    p.add_argument("number", help='the number, e.g. "+1 415 555 0101"')
    p.add_argument("--format", choices=("table", "json"), default="table", help="table for people (default) or JSON")
    p.add_argument("--country", default="US", help="default country for a national number (default US)")

    p = _command(sub, common, "export-audience", cmd_export_audience, "write a list's sendable members to CSV or "
                 "Parquet for another tool, recorded in ops.audience_exports", """\
Write the members of LIST that may be messaged now (marts.audiences: not opted out on the
membership's channel, not suspended; active members, --include-pending for pending ones too)
to --output as CSV or Parquet: list, channel, status, contact id, the number masked (its last
two digits), the --attributes asked for and, with --tags, the contact's tags. --unmasked
writes the numbers in full: only for an operating-system account listed under export: in
config/access.yaml. The file is owner-only (0600); every export is recorded in
ops.audience_exports (who, when, list, rows, masked or not, file, sha256). Reads the
warehouse; writes --output and that record.

  optline export-audience "Spring Promo" --format csv --output /tmp/spring.csv
  optline export-audience "Spring Promo" --channel sms --attributes first_name,city --tags \\
      --format parquet --output /secure/spring.parquet --unmasked""")
    p.add_argument("list", help="the list's name (any case)")
    p.add_argument("--format", choices=("csv", "parquet"), required=True, help="csv (a header line) or parquet")
    p.add_argument("--output", required=True, metavar="FILE", help="the file to write (owner-only)")
    p.add_argument("--channel", choices=("sms", "whatsapp"), help="one channel's members (default: every channel)")
    p.add_argument("--attributes", metavar="A,B", help="contact attributes to add, comma-separated: first_name, "
                   "last_name, email, title, company, city, state, postcode, region, number_type")
    p.add_argument("--tags", action="store_true", help="add the contact's tags")
    p.add_argument("--include-pending", action="store_true",
                   help="also the pending members (not confirmed yet: only their welcome may be sent)")
    p.add_argument("--unmasked", action="store_true", help="the numbers in full (an account under export: in "
                   "config/access.yaml); recorded as unmasked")

    p = _command(sub, common, "listops", cmd_listops, "apply a list touch-up file: add/remove members and tags, "
                 "suspend/reactivate", """\
Apply one list touch-up file (as the list_touchups DAG does): each row adds or removes a member
or a tag, or suspends or reactivates a number (docs/touchups.md). Reads FILE and its manifest;
writes the warehouse and a report. Exits 1 when rows were rejected.

  optline listops data/touchups/june.csv""")
    p.add_argument("file", help="CSV with columns action, phone, list, tag (and opted_in_at, source)")
    p.add_argument("--country", help="default country for national numbers (default: the manifest's, else US)")

    p = _command(sub, common, "import-fcc", cmd_import_fcc, "keep the FCC Reassigned Numbers Database's answers "
                 "for the reassigned-number check", """\
Read an answer file of the FCC Reassigned Numbers Database (number, date of consent, Yes/No/No
Data: docs/lookup.md) into the lookup cache (ops.number_lookups, by number HMAC), where the
reassigned-number check finds them before a welcome is queued when the policy's
`reassigned_numbers.provider` is `fcc_rnd`. No request is made. Exits 1 when lines were invalid
(they are named by line number; the rest is kept).

  optline import-fcc data/fcc/rnd_answers_2026-12-01.csv --answered-on 2026-12-01""")
    p.add_argument("file", help="the FCC RND answer file (CSV)")
    p.add_argument("--answered-on", metavar="DATE",
                   help="when the FCC answered (ISO date; default now): fresh for the policy's max_age_days")

    p = _command(sub, common, "welcome", cmd_welcome, "queue the welcome (double opt-in) of every pending member "
                 "that has none", """\
Queue the welcome message (the double opt-in question) of every pending list member that has
none yet, as the welcome_messages DAG does. Reads config/messaging.yaml; writes msg.outbox.

  optline welcome
  optline welcome --as-of 2026-06-01T09:00:00+00:00""")
    p.add_argument("--as-of", help="clock the welcomes are queued at, ISO 8601 (default: now)")

    p = _command(sub, common, "send", cmd_send, "reconcile unknown outcomes, then send the outbox's due messages",
                 """\
Send what the outbox has due, as the message_dispatch DAG does: first settle messages whose
outcome is unknown, then send within quiet hours and rate limits through the provider
(sandbox by default: files, no network). Reads config/messaging.yaml and the provider's
connection (AIRFLOW_CONN_<ID>); writes msg.outbox and the delivery records.

  optline send
  optline send --provider sandbox --as-of 2026-06-01T15:00:00+00:00""")
    p.add_argument("--provider", choices=("sandbox", "twilio", "webhook"),
                   help="default: OPTLINE_MESSAGE_PROVIDER or config/messaging.yaml (sandbox)")
    p.add_argument("--as-of", help="a clock starting here, ISO 8601 (default: the wall clock); quiet hours use it")

    _command(sub, common, "outbox", cmd_outbox, "the outbox by kind and status, and the conversion per import", """\
The outbox's messages counted by kind and status, and per import how many welcomed members
confirmed. Reads the warehouse (read-only); writes nothing.

  optline outbox""")

    p = _command(sub, common, "revocations", cmd_revocations, "list the undecided possible revocations (inbound), "
                 "or decide one", """\
Without --decide: list the inbound messages that may revoke consent and wait for a person
(numbers masked, with the business days left). With --decide BATCH:ROW and --opt-out or
--not-revocation: record the decision as your operating-system account (a reviewer in
config/access.yaml); an opt-out suppresses the number on its channel. Reads and writes the
warehouse.

  optline revocations
  optline revocations --decide 12:3 --opt-out --note "asked to stop\"""")
    p.add_argument("--decide", metavar="BATCH:ROW", help="the message to decide, as listed")
    verdict = p.add_mutually_exclusive_group()
    verdict.add_argument("--opt-out", action="store_true", help="it revokes consent: opt the number out now")
    verdict.add_argument("--not-revocation", action="store_true", help="it does not revoke consent: nothing changes")
    p.add_argument("--note", help="a note kept with the decision (who decides is your operating-system account, "
                   "which must be a reviewer in config/access.yaml)")

    _command(sub, common, "init-key", cmd_init_key, "write random key files (number HMACs, confirmation links) "
             "if none exist", """\
Write a random key for the number HMACs (how the consent ledger names numbers) to
OPTLINE_HMAC_KEY_FILE (default data/secrets/number_hmac.key, mode 0600), unless one exists;
OPTLINE_HMAC_KEY, when set, is used instead. Back the key up with the warehouse: without it,
suppressed numbers are no longer recognized. Also the key that signs the welcome's
{confirm_url} links, OPTLINE_LINK_KEY_FILE (default data/secrets/link.key; OPTLINE_LINK_KEY
wins): it may be rotated (links issued before then read as invalid).

  optline init-key""")

    _command(sub, common, "migrate", cmd_migrate, "bring the warehouse schema up to date (imports do this too)", """\
Apply the schema migrations (sql/schema/) the warehouse has not had yet, and re-create its
views and macros. Every writing command does this first; run it alone after an upgrade, or
before reading an older warehouse with `optline query`. Writes the warehouse.

  optline migrate""")

    p = _command(sub, common, "maintain", cmd_maintain, "the warehouse's upkeep (the nightly "
                 "warehouse_maintenance DAG does it)", """\
The warehouse's upkeep, as the nightly warehouse_maintenance DAG does it: a lake's small files
merged, snapshots older than --keep-days expired and files no snapshot uses deleted; a DuckDB
file checkpointed. Writes the warehouse.

  optline maintain --keep-days 14""")
    p.add_argument("--keep-days", type=_days, default=None, metavar="DAYS",
                   help="days of snapshots a lake keeps for time travel (default OPTLINE_LAKE_KEEP_DAYS, else 7)")

    p = _command(sub, common, "convert-to-lake", cmd_convert_to_lake, "copy a warehouse that is one DuckDB file "
                 "into a new lake, so analysts can read while runs write", """\
Copy a warehouse that is one DuckDB file into a new DuckLake (every table in one transaction:
all or nothing; each table's rows checked). The DuckDB file is kept as it was; point
OPTLINE_WAREHOUSE at the lake afterwards (docs/warehouse_backends.md). Reads --from, writes
the new lake (--to).

  optline convert-to-lake --from data/warehouse.duckdb --to data/warehouse.sqlite""")
    p.add_argument("--from", dest="source", metavar="FILE",
                   help="the DuckDB file (default: warehouse.duckdb in the data folder)")
    p.add_argument("--to", dest="target", metavar="CATALOG",
                   help="the new lake's SQLite catalog (default: warehouse.sqlite in the data folder; its data "
                   "goes beside it in .files/; with OPTLINE_LAKE_CATALOG=postgres:... the catalog is there)")

    p = _command(sub, common, "analyst-sql", cmd_analyst_sql, "what to type in any DuckDB client to read the "
                 "warehouse (a lake) while runs write it", """\
Print the statements that attach the warehouse (a lake) read-only in any DuckDB 1.5.5 client:
the shell, a notebook, a BI tool. Analysts see committed batches only, while runs write.
Writes nothing, or --init-file.

  optline analyst-sql --init-file optline.sql && duckdb -init optline.sql""")
    p.add_argument("--alias", default="optline", help="the catalog name to attach it as (default optline)")
    p.add_argument("--init-file", metavar="PATH", help="write it to PATH, for `duckdb -init PATH`")

    p = _command(sub, common, "query", cmd_query, "run one read-only SQL query against the warehouse", """\
Run one SQL query against the warehouse, opened read-only (a statement that writes fails), and
print its result: a table for people (at most --max-rows rows), or every row as CSV or JSON
for another program. Reads the warehouse; writes nothing, or --output.

  optline query "select status, count(*) as batches from ops.batches group by status"
  optline query "select * from core.lists" --format csv > lists.csv
  optline query "select batch_id, status from ops.batches" --format json | jq '.[].status'""")
    p.add_argument("sql", help='e.g. "select * from ops.batches"')
    p.add_argument("--format", choices=tables.FORMATS, default="table",
                   help="table (default, for people), csv (a header line, every row) or json (an array of objects)")
    p.add_argument("--output", metavar="FILE", help="write the result to FILE (owner-only) instead of stdout")
    p.add_argument("--max-rows", type=int, default=40, help="rows a table shows (default 40); csv and json write all")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING,
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
