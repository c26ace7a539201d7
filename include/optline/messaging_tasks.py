"""What the welcome_messages and message_dispatch DAGs' tasks do: thin adapters from
Airflow's context to optline.outbox, optline.dispatch and optline.delivery.

Airflow is imported inside the functions. XCom carries counts only, never a number or a body.
Provider credentials come from Airflow connections (`optline_twilio`, `optline_webhook`).
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
from pathlib import Path
from typing import Any

from optline import delivery, dispatch, outbox, providers, quiethours
from optline.config import ConfigError, paths
from optline.messaging import PROVIDERS, load_config
from optline.tasks import discover_in, open_warehouse, run_context

log = logging.getLogger(__name__)

CONNECTION_IDS = {"twilio": "optline_twilio", "webhook": "optline_webhook"}


def sandbox_dir() -> Path:
    return paths().data_dir / "sandbox"


def provider_settings(name: str) -> dict[str, Any]:
    """The provider's settings from its Airflow connection (none for the sandbox)."""
    if name == "sandbox":
        return {}
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    conn_id = CONNECTION_IDS[name]
    try:
        connection = Connection.get(conn_id)
    except AirflowNotFoundException as exc:
        raise ConfigError(f"provider {name!r} needs the Airflow connection {conn_id!r}; see docs/messaging.md") from exc
    return providers.settings_from_connection(connection)


def chosen_provider(context: dict[str, Any] | None = None) -> str:
    """The DAG's `provider` param, else OPTLINE_MESSAGE_PROVIDER / config/messaging.yaml."""
    chosen = ((context or {}).get("params") or {}).get("provider")
    if chosen and chosen not in PROVIDERS:
        raise ConfigError(f"provider must be one of {PROVIDERS}, not {chosen!r}")
    return chosen or load_config().provider


def build(name: str) -> providers.Provider:
    return providers.build_provider(name, provider_settings(name), sandbox_dir=sandbox_dir())


def dispatch_clock(context: dict[str, Any]) -> dispatch.Clock:
    """The wall clock, or with the `as_of` param a clock starting there (demos, tests)."""
    as_of = (context.get("params") or {}).get("as_of")
    return dispatch.clock_from(run_context(context).as_of) if as_of else dispatch.wall_clock


def enqueue_welcomes(context: dict[str, Any]) -> dict:
    config = load_config()
    with open_warehouse() as conn:
        result = outbox.enqueue_welcomes(conn, config.welcome, run_context(context, wall_clock=True).as_of)
    return result.as_xcom()


def send_due(context: dict[str, Any]) -> dict:
    """Reconcile unknown outcomes, then send what is due (see optline.dispatch). A configuration
    error (settings, refused credentials) fails at once: retrying cannot fix it."""
    from airflow.sdk.exceptions import AirflowFailException

    try:
        config = load_config()
        provider = build(chosen_provider(context))
    except ConfigError as exc:
        raise AirflowFailException(str(exc)) from exc
    run = run_context(context, wall_clock=True)
    try:
        with open_warehouse() as conn:
            result = dispatch.dispatch(conn, provider, run, config.dispatch, quiethours.load_policy(),
                                       clock=dispatch_clock(context))
    except dispatch.ProviderAuthError as exc:
        raise AirflowFailException(str(exc)) from exc
    finally:
        provider.close()
    return result.as_xcom()


def apply_delivery_reports(context: dict[str, Any]) -> dict:
    folder = delivery.delivery_inbox()
    if not folder.is_dir():
        log.info("no delivery inbox at %s yet: no status to apply", folder)
        return {"files": 0}
    failed: list[str] = []
    with open_warehouse() as conn:
        try:
            results = delivery.apply_inbox(conn, folder, run_context(context, wall_clock=True).as_of, paths().reports)
        except delivery.DeliveryInboxError as exc:  # the good files are applied; sending goes on
            results, failed = exc.results, [name for name, _ in exc.failures]
            for name, message in exc.failures:
                log.error("delivery file not applied: %s", message)
    return {"files": len(results) + len(failed), "results": [r.as_xcom() for r in results], "failed": failed}


def write_conversion_report(conn: Any, reports_dir: Path) -> Path:
    """`reports/messaging/conversion.csv`: the conversion per import (counts only)."""
    rows = outbox.conversion(conn)
    target = reports_dir / "messaging" / "conversion.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    columns = ("batch_id", "file_name", "merged_at", "imported", "waiting", "messaged", "not_messaged", "confirmed",
               "conversion_rate", "confirmed_of_messaged")
    with target.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for r in rows:
            writer.writerow(["" if r[c] is None else (r[c].isoformat() if isinstance(r[c], dt.datetime) else r[c])
                             for c in columns])
    return target


def report(context: dict[str, Any]) -> dict:
    """Log the outbox and the conversion; fail the run, naming them, if delivery files were not applied."""
    from airflow.sdk.exceptions import AirflowFailException

    with open_warehouse() as conn:
        path = write_conversion_report(conn, paths().reports)
        rows = outbox.conversion(conn)
        counts = outbox.status_counts(conn)
    log.info("Outbox:\n%s", outbox.format_status(counts))
    log.info("Conversion per import (also in %s):\n%s", path, outbox.format_conversion(rows))
    ti = context.get("ti")
    delivered = (ti.xcom_pull(task_ids="apply_delivery_reports") if ti else None) or {}
    if delivered.get("failed"):
        raise AirflowFailException(f"{len(delivered['failed'])} delivery file(s) not applied: "
                                   f"{', '.join(delivered['failed'])}; see apply_delivery_reports' log")
    return {"imports": len(rows), "report": str(path)}


def discover_confirmations(context: dict[str, Any]) -> list[dict]:
    from optline import confirmations

    chosen = (context.get("params") or {}).get("inbox")
    return discover_in(Path(chosen) if chosen else confirmations.confirmations_inbox(), "web confirmations")


def apply_confirmations(inbox_file: dict, context: dict[str, Any]) -> dict:
    from airflow.sdk.exceptions import AirflowFailException

    from optline import confirmations
    from optline.pipeline import INPUT_ERRORS

    with open_warehouse() as conn:
        try:
            result = confirmations.apply_file(conn, Path(inbox_file["path"]), run_context(context, wall_clock=True),
                                              paths().reports)
        except INPUT_ERRORS as exc:
            raise AirflowFailException(str(exc)) from exc  # a person must fix the file: no retry
    return result.as_xcom()
