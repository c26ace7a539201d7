"""Messaging figures: queue N welcomes and send them through the sandbox provider.

Imports N generated contacts (bench data: 13 area codes across US/CA zones), queues their
welcomes (`optline.outbox.enqueue_welcomes`), then runs the dispatcher with the rate limit
off at a clock inside most recipients' hours, and prints messages per second and where the
time goes. Each sent message costs two commits (claim before the call, record after): that
is the price of sending once, and the figure to watch. It never asserts a timing.

    .venv/bin/python bench/dispatch_bench.py --messages 20000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20000, help="contacts to import and welcome (default 20000)")
    parser.add_argument("--workdir", help="where the warehouse goes (default: a temp dir, removed afterwards)")
    parser.add_argument("--json", action="store_true", help="also print the figures as one JSON object")
    args = parser.parse_args()

    work = Path(args.workdir or tempfile.mkdtemp(prefix="optline-dispatch-bench-"))
    os.environ.update({"OPTLINE_DATA_DIR": str(work), "OPTLINE_WAREHOUSE": str(work / "warehouse.duckdb"),
                       "OPTLINE_REPORTS": str(work / "reports")})
    os.environ.setdefault("OPTLINE_HMAC_KEY", "bench-key-" + "0" * 40)
    from optline import samples, warehouse
    from optline.contacts import pipeline
    from optline.messaging import dispatch, outbox, providers, quiethours
    from optline.messaging.settings import DispatchSettings, WelcomeSettings
    from optline.runs import RunContext

    as_of = dt.datetime(2026, 11, 2, 19, 0, tzinfo=dt.UTC)  # 11:00 Pacific, 14:00 Eastern
    figures: dict[str, float | int | str] = {"messages_requested": args.messages}
    try:
        csv_path = samples.write_bulk_csv(work / "inbox" / "bulk.csv", args.messages, as_of.date())
        manifest = csv_path.with_name("bulk.manifest.yaml")
        manifest.write_text(manifest.read_text() + "policy_overrides: {gate: {review_max_rejected_share: 1.0, "
                            "critical_max_rejected_share: 1.0, review_max_stale_share: 1.0}}\n")
        conn = warehouse.connect()
        started = time.perf_counter()
        summary = pipeline.import_file(conn, csv_path, RunContext(as_of=as_of, dag_id="bench"), work / "reports")
        figures["import_s"] = round(time.perf_counter() - started, 2)
        figures["contacts"] = summary.new_contacts or 0

        started = time.perf_counter()
        queued = outbox.enqueue_welcomes(conn, WelcomeSettings(), as_of).queued
        figures["enqueue_s"] = round(time.perf_counter() - started, 2)
        figures["queued"] = queued

        sandbox = providers.build_provider("sandbox", {}, sandbox_dir=work / "sandbox")
        settings = DispatchSettings(batch_size=500, rate_per_second=1e9, max_messages_per_run=10**9,
                                    max_seconds_per_run=3600)
        started = time.perf_counter()
        result = dispatch.dispatch(conn, sandbox, RunContext(as_of=as_of, dag_id="bench"), settings,
                                   quiethours.load_policy(), clock=lambda: as_of)
        seconds = time.perf_counter() - started
        conn.close()
        figures.update({"dispatch_s": round(seconds, 2), "sent": result.sent,
                        "waiting": sum(result.deferred.values()), "cancelled": sum(result.cancelled.values()),
                        "handled_per_s": round((result.sent + sum(result.deferred.values())) / seconds, 1),
                        "sent_per_s": round(result.sent / seconds, 1),
                        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)})
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    print(f"imported {figures['contacts']} contacts in {figures['import_s']} s; queued {figures['queued']} welcomes "
          f"in {figures['enqueue_s']} s")
    print(f"dispatch (sandbox, no rate limit): {figures['sent']} sent, {figures['waiting']} waiting for their hours, "
          f"in {figures['dispatch_s']} s = {figures['sent_per_s']} sent/s "
          f"({figures['handled_per_s']} messages handled/s); peak RSS {figures['peak_rss_mib']} MiB")
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
