"""What the welcome_messages and message_dispatch DAGs' tasks do: thin adapters from
Airflow's context to optline.messaging (outbox, dispatch, delivery).

XCom carries counts only, never a number or a body. Provider credentials come from Airflow
connections (`optline_twilio`, `optline_webhook`).
"""

from __future__ import annotations

import logging
from typing import Any

from airflow.sdk import Connection
from airflow.sdk.exceptions import AirflowFailException, AirflowNotFoundException

from optline import lineage as datasets
from optline.config import ConfigError, paths
from optline.messaging import delivery, dispatch, outbox, providers, quiethours
from optline.messaging import settings as messaging_settings
from optline.messaging.settings import PROVIDERS, load_config
from optline.tasks import lineage
from optline.tasks.common import open_warehouse, run_context

log = logging.getLogger(__name__)

def chosen_provider(context: dict[str, Any] | None = None) -> str:
    """The DAG's `provider` param, else OPTLINE_MESSAGE_PROVIDER / config/messaging.yaml."""
    chosen = ((context or {}).get("params") or {}).get("provider")
    if chosen and chosen not in PROVIDERS:
        raise ConfigError(f"provider must be one of {PROVIDERS}, not {chosen!r}")
    return chosen or load_config().provider


def build(name: str) -> providers.Provider:
    """The provider `name`, with the credentials of its Airflow connection."""
    conn_id, connection = providers.connection_id(name), None
    if conn_id:
        try:
            connection = Connection.get(conn_id)
        except AirflowNotFoundException:
            pass
    return providers.build_from_connection(name, connection, sandbox_dir=messaging_settings.sandbox_dir())


def dispatch_clock(context: dict[str, Any]) -> dispatch.Clock:
    """The wall clock, or with the `as_of` param a clock starting there (demos, tests)."""
    as_of = (context.get("params") or {}).get("as_of")
    return dispatch.clock_from(run_context(context).as_of) if as_of else dispatch.wall_clock


def enqueue_welcomes(context: dict[str, Any]) -> dict:
    """Queue the welcomes of pending members. A configuration error (the settings, a missing
    link key) fails at once: retrying cannot fix it."""
    try:
        config = load_config()
        with open_warehouse() as conn:
            result = outbox.enqueue_welcomes(conn, config.welcome, run_context(context, wall_clock=True).as_of)
    except ConfigError as exc:
        raise AirflowFailException(str(exc)) from exc
    lineage.record(datasets.WELCOME_ENQUEUE)
    return result.as_xcom()


def send_due(context: dict[str, Any]) -> dict:
    """Reconcile unknown outcomes, then send what is due (see optline.dispatch). A configuration
    error (settings, refused credentials) fails at once: retrying cannot fix it."""
    try:
        config = load_config()
        provider_name = chosen_provider(context)
        provider = build(provider_name)
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
    lineage.record(datasets.DISPATCH, sent_to=provider_name)
    return result.as_xcom()


def apply_delivery_reports(context: dict[str, Any]) -> dict:
    """Apply every file of the delivery inbox at the wall clock (or the `as_of` param). A bad file
    does not stop the others, nor the sending: `report` fails the run, naming it."""
    folder = delivery.inbox()
    if not folder.is_dir():
        log.info("no delivery inbox at %s yet: no status to apply", folder)
        return {"files": 0}
    failed: list[str] = []
    with open_warehouse() as conn:
        try:
            results = delivery.apply_inbox(conn, folder, run_context(context, wall_clock=True), paths().reports)
        except delivery.DeliveryInboxError as exc:  # the good files are applied; sending goes on
            results, failed = exc.results, [name for name, _ in exc.failures]
            for _, message in exc.failures:
                log.error("delivery file not applied: %s", message)
    lineage.record(datasets.DELIVERY_APPLY, files=[folder / r.file_name for r in results], outputs=bool(results))
    return {"files": len(results) + len(failed), "results": [r.as_xcom() for r in results], "failed": failed}


def report(context: dict[str, Any]) -> dict:
    """Log the outbox and the conversion; fail the run, naming them, if delivery files were not applied."""
    with open_warehouse() as conn:
        path = outbox.write_conversion_report(conn, paths().reports)
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
