"""What the inbound_messages DAG's tasks do: thin adapters from Airflow's context to
optline.consent.inbound.

Tasks pass file paths, batch ids and counts along XCom, never a number or a message body.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from airflow.sdk.exceptions import AirflowFailException

from optline import lineage
from optline.config import paths
from optline.consent import inbound
from optline.tasks.common import discover_in, open_warehouse, run_context
from optline.tasks.intake import apply_inbox_file, chosen_inbox

log = logging.getLogger(__name__)


def discover_files(context: dict[str, Any]) -> list[dict]:
    """The exports waiting in the `inbox` param's folder, else in OPTLINE_INBOUND_INBOX /
    `$OPTLINE_DATA_DIR/inbound`."""
    return discover_in(chosen_inbox(context, inbound.inbox()), "inbound")


def apply_file(inbox_file: dict, context: dict[str, Any]) -> dict:
    """Apply one export in one transaction; opt-outs are applied at the wall clock (or the `as_of`
    param), not the run's scheduled time. A bad export fails at once, without retries."""
    result = apply_inbox_file(inbound.apply_file, inbox_file, run_context(context, wall_clock=True),
                              step=lineage.INBOUND_APPLY)
    if not result["already_imported"] and result["opt_outs"]:
        tell_late_opt_outs(result, context)
    return result


def tell_late_opt_outs(result: dict, context: dict[str, Any]) -> None:
    """Tell the reviewers (config/notifications.yaml) when an export's opt-outs were applied near
    or beyond the 10-business-day limit: counts and the oldest age, never a number. A notifier
    that fails is logged, never failing the task."""
    from optline.reports import notices
    from optline.tasks import notify

    settings = notify.settings()
    if settings is None or not settings.wants("opt_outs_near_limit"):
        return
    with open_warehouse() as conn:
        days = [row["business_days"] for row in inbound.opt_out_rows(conn, result["batch_id"])]
    ages = notices.opt_out_ages(days, settings.near_limit_business_days)
    if ages.worth_telling:
        notify.tell(notices.opt_out_notice(batch_id=result["batch_id"], file_name=result["file_name"], ages=ages,
                                           report_dir=result["report_dir"]), context, settings)


def tell_waiting_revocations(context: dict[str, Any]) -> int:
    """Remind the reviewers of possible revocations still undecided near or beyond the limit, once
    per message and clock level (recorded only when a channel took the notice). Returns how many."""
    import datetime as dt

    from optline.consent import revocations
    from optline.reports import notices
    from optline.tasks import notify

    settings = notify.settings()
    if settings is None or not settings.wants("revocations_near_limit"):
        return 0
    now = dt.datetime.now(dt.UTC)
    with open_warehouse() as conn:
        due = revocations.due_reminders(conn, now)
        if due and notify.tell(notices.revocation_notice(due), context, settings):
            revocations.record_reminders(conn, due, now)
            return len(due)
    return 0


def summarize(files: list[dict], context: dict[str, Any]) -> dict:
    """Log how each export stands, remind the reviewers of possible revocations near the limit;
    fail the run, naming them, if any export was not applied."""
    tell_waiting_revocations(context)
    lines, failed = [], []
    with open_warehouse() as conn:
        for f in files:
            r = inbound.file_result(conn, Path(f["path"]), paths().reports)
            if r is None:
                failed.append(f["name"])
                continue
            lines.append(f"{r.file_name}: batch {r.batch_id}, {r.lines_read} read, {r.applied} applied, "
                         f"{r.ignored} ignored, {r.invalid} invalid, {r.opt_outs} opt-out(s), "
                         f"{r.opt_outs_over_limit} beyond the limit; report {r.report_dir}")
    log.info("Inbound summary:\n%s", "\n".join(lines) or "no exports")
    if failed:
        raise AirflowFailException(f"{len(failed)} export(s) not applied: {', '.join(failed)}; see their task logs")
    return {"files": len(files), "applied": len(lines)}
