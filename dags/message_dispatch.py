"""
### Message dispatch

Sends what the outbox holds (`msg.outbox`: welcomes, help replies, keyword auto-welcomes)
through the configured provider (`sandbox` by default, `twilio`, or a `webhook`), once each:

1. **apply_delivery_reports**: delivery status files in `data/delivery/` (provider status
   exports, or status callbacks saved as files) update each sent message's delivery status.
2. **send_due**: first reconciles any message whose outcome is unknown (a crash, a timeout, a
   lost response) with the provider; then, in batches, at most `rate_per_second`, for every
   due message: cancel it if its number opted out or was suspended since it was queued; let it
   wait if it is outside the recipient's hours (8:00-21:00 local, stricter states per
   expectations/policies/quiet_hours.yaml) or over a state's 3-per-24-hours cap; otherwise
   claim it (committed), call the provider, record the provider's id.
3. **report**: the outbox by status and the conversion per import (imported, messaged,
   confirmed, rate) in the log and in `reports/messaging/conversion.csv`; the run fails,
   naming them, if delivery files were not applied (so it does not retry: the files are bad).

Every 10 minutes; writing tasks share the `duckdb_writer` pool, and a run stops after
`max_messages_per_run` / `max_seconds_per_run` (config/messaging.yaml) to give imports the
warehouse back. Retrying a task is safe: nothing is sent twice. Params: `provider`, `as_of`
(a clock for demos and tests). See docs/messaging.md.

Starts paused (it sends): unpause it in the UI when texts should go out; `make demo` runs it all
the same (dag.test() ignores pause).
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import Param, dag, get_current_context, task

from optline.tasks import messaging
from optline.tasks.defaults import START_DATE, WRITER_POOL, default_args


@dag(
    dag_id="message_dispatch",
    schedule="*/10 * * * *",
    start_date=START_DATE,
    catchup=False,
    is_paused_upon_creation=True,  # it sends: a person unpauses it (the demo's runs ignore pause)
    max_active_runs=1,
    default_args=default_args("data-team", max_retry_delay=timedelta(minutes=10)),
    tags=["optline", "messaging"],
    params={
        "provider": Param(None, type=["null", "string"], enum=[None, "sandbox", "twilio", "webhook"],
                          description="Provider (default: config/messaging.yaml or OPTLINE_MESSAGE_PROVIDER)"),
        "as_of": Param(None, type=["null", "string"],
                       description="Clock to send at, ISO 8601, running on from there (default: the wall clock)"),
    },
    doc_md=__doc__,
)
def message_dispatch():
    @task(pool=WRITER_POOL)
    def apply_delivery_reports() -> dict:
        return messaging.apply_delivery_reports(get_current_context())

    @task(pool=WRITER_POOL)
    def send_due() -> dict:
        return messaging.send_due(get_current_context())

    @task(pool=WRITER_POOL, trigger_rule="all_done", retries=0)
    def report() -> dict:
        return messaging.report(get_current_context())

    apply_delivery_reports() >> send_due() >> report()


message_dispatch()
