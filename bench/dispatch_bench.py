"""Messaging figures: queue N welcomes and send them through a provider, in batches.

Imports N generated contacts (bench data: 13 area codes across US/CA zones), queues their
welcomes (`optline.outbox.enqueue_welcomes`), then runs the dispatcher with the rate limit
off at a clock inside most recipients' hours, and prints messages per second and where the
time goes: reading the due messages and the send-time checks (planned while the previous
batch's calls run), the claim transactions (cancel, defer and claim a batch, committed before
any call), the provider calls (in `concurrency` threads) and the record transactions (every
outcome of a batch, set-based). It never asserts a timing.

Providers (`--provider`): `sandbox` (default: a JSON line per message, fsync'd), or `twilio` /
`webhook` against the loopback stand-ins of tests/standins/ (real HTTP on 127.0.0.1, the
server in a child process so that it does not share this process's GIL). `--provider-only`
also times the provider alone (the same calls, threads and pacing, no warehouse), which says
whether the provider or the dispatcher is the limit.

    .venv/bin/python bench/dispatch_bench.py --messages 20000
    .venv/bin/python bench/dispatch_bench.py --messages 20000 --provider twilio --provider-only

For comparison: one claim and one record transaction per message (`UPDATE ... RETURNING`,
two commits each, before batching) sent 73-88 messages/s here (19,603 messages in 223 s).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
STANDIN = """
import sys
from tests.standins.{module} import {cls}
server = {cls}().start()
print(server.url, flush=True)
sys.stdin.read()
print(len(server.accepted), flush=True)
server.stop()
"""


@contextmanager
def standin(kind: str):
    """The stand-in in a child process: yields (url, a function returning how many it accepted)."""
    module, cls = {"twilio": ("twilio_server", "TwilioStandIn"), "webhook": ("webhook_server", "WebhookStandIn")}[kind]
    child = subprocess.Popen([sys.executable, "-c", STANDIN.format(module=module, cls=cls)], cwd=PROJECT,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                             env=dict(os.environ, PYTHONPATH=os.pathsep.join([str(PROJECT), str(PROJECT / "include")])))
    assert child.stdin is not None and child.stdout is not None
    url = child.stdout.readline().strip()
    accepted: list[int] = []

    def count() -> int:
        if not accepted:
            child.stdin.close()
            accepted.append(int(child.stdout.readline()))
            child.wait(timeout=30)
        return accepted[0]
    try:
        yield url, count
    finally:
        if child.poll() is None:
            child.kill()


def build(kind: str, url: str | None, work: Path):
    from optline.messaging import providers

    if kind == "sandbox":
        return providers.build_provider("sandbox", {}, sandbox_dir=work / "sandbox")
    if kind == "twilio":
        from tests.standins.twilio_server import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN
        return providers.build_provider("twilio", {"account_sid": DEFAULT_ACCOUNT_SID, "auth_token": DEFAULT_AUTH_TOKEN,
                                                   "from_number": "+17025550100", "base_url": url, "timeout": 10},
                                        sandbox_dir=work / "sandbox")
    return providers.build_provider("webhook", {"url": url + "/messages", "timeout": 10}, sandbox_dir=work / "sandbox")


class Timings:
    """Seconds per dispatcher step, by wrapping warehouse.transaction and the provider's send."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.counts: dict[str, int] = defaultdict(int)
        self.lock = threading.Lock()

    def add(self, what: str, seconds: float) -> None:
        with self.lock:
            self.seconds[what] += seconds
            self.counts[what] += 1

    def timed(self, what: str, function):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.add(what, time.perf_counter() - started)
        return wrapper

    def install(self, provider) -> None:
        from optline import warehouse
        from optline.messaging import dispatch

        original = warehouse.transaction

        @contextmanager
        def timed_transaction(conn):
            started = time.perf_counter()
            with original(conn) as inner:
                yield inner
            self.add("transactions", time.perf_counter() - started)
        warehouse.transaction = timed_transaction
        fetch_dicts = warehouse.fetch_dicts
        warehouse.fetch_dicts = lambda conn, name, **params: (
            self.timed("due", fetch_dicts) if name == "messaging/outbox_due" else fetch_dicts)(conn, name, **params)
        provider.send = self.timed("calls", provider.send)
        dispatch._plan = self.timed("plan", dispatch._plan)
        dispatch._Calls.gather = staticmethod(self.timed("waiting", dispatch._Calls.gather))


def provider_only(kind: str, url: str | None, work: Path, n: int, concurrency: int) -> float:
    """Messages per second through the provider alone: the same threads, no warehouse."""
    from optline.messaging.providers import OutgoingMessage

    provider = build(kind, url, work / "provider_only")
    claimed_at = dt.datetime.now(dt.UTC)
    messages = [OutgoingMessage(f"bench:{i}", f"+1702555{i % 10000:04d}", "sms", "Hi, reply YES to join.",
                                claimed_at) for i in range(n)]
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        outcomes = list(pool.map(provider.send, messages))
    seconds = time.perf_counter() - started
    provider.close()
    assert all(o.status == "accepted" for o in outcomes), {o.status for o in outcomes}
    return round(n / seconds, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20000, help="contacts to import and welcome (default 20000)")
    parser.add_argument("--provider", choices=("sandbox", "twilio", "webhook"), default="sandbox")
    parser.add_argument("--batch-size", type=int, default=500, help="messages claimed per transaction (default 500)")
    parser.add_argument("--concurrency", type=int, default=8, help="provider calls in flight (default 8)")
    parser.add_argument("--provider-only", action="store_true", help="also time the provider alone")
    parser.add_argument("--workdir", help="where the warehouse goes (default: a temp dir, removed afterwards)")
    parser.add_argument("--json", action="store_true", help="also print the figures as one JSON object")
    args = parser.parse_args()

    work = Path(args.workdir or tempfile.mkdtemp(prefix="optline-dispatch-bench-"))
    os.environ.update({"OPTLINE_DATA_DIR": str(work), "OPTLINE_WAREHOUSE": str(work / "warehouse.duckdb"),
                       "OPTLINE_REPORTS": str(work / "reports")})
    os.environ.setdefault("OPTLINE_HMAC_KEY", "bench-key-" + "0" * 40)
    sys.path.insert(0, str(PROJECT))  # tests.standins
    from optline import samples, warehouse
    from optline.contacts import pipeline
    from optline.messaging import dispatch, outbox, quiethours
    from optline.messaging.settings import DispatchSettings, WelcomeSettings
    from optline.runs import RunContext

    as_of = dt.datetime(2026, 11, 2, 19, 0, tzinfo=dt.UTC)  # 11:00 Pacific, 14:00 Eastern
    figures: dict[str, float | int | str] = {"messages_requested": args.messages, "provider": args.provider,
                                             "batch_size": args.batch_size, "concurrency": args.concurrency}
    timings = Timings()
    try:
        csv_path = samples.write_bulk_csv(work / "inbox" / "bulk.csv", args.messages, as_of.date())
        conn = warehouse.connect()
        started = time.perf_counter()
        summary = pipeline.import_file(conn, csv_path, RunContext(as_of=as_of, dag_id="bench"), work / "reports")
        figures["import_s"] = round(time.perf_counter() - started, 2)
        figures["contacts"] = summary.new_contacts or 0

        started = time.perf_counter()
        queued = outbox.enqueue_welcomes(conn, WelcomeSettings(), as_of).queued
        figures["enqueue_s"] = round(time.perf_counter() - started, 2)
        figures["queued"] = queued

        with standin(args.provider) if args.provider != "sandbox" else _no_standin(work) as (url, accepted):
            provider = build(args.provider, url, work)
            timings.install(provider)
            settings = DispatchSettings(batch_size=args.batch_size, rate_per_second=1e9, concurrency=args.concurrency,
                                        max_messages_per_run=10**9, max_seconds_per_run=3600)
            started = time.perf_counter()
            result = dispatch.dispatch(conn, provider, RunContext(as_of=as_of, dag_id="bench"), settings,
                                       quiethours.load_policy(), clock=lambda: as_of)
            seconds = time.perf_counter() - started
            provider.close()
            conn.close()
            alone = min(args.messages, 5000) if args.provider_only else 0
            if alone:
                figures["provider_only_per_s"] = provider_only(args.provider, url, work, alone, args.concurrency)
            figures["provider_accepted"] = accepted() - (alone if args.provider != "sandbox" else 0)
        figures.update({"dispatch_s": round(seconds, 2), "sent": result.sent,
                        "waiting": sum(result.deferred.values()), "cancelled": sum(result.cancelled.values()),
                        "handled_per_s": round((result.sent + sum(result.deferred.values())) / seconds, 1),
                        "sent_per_s": round(result.sent / seconds, 1),
                        "transactions": timings.counts["transactions"],
                        "transactions_s": round(timings.seconds["transactions"], 2),
                        "calls_thread_s": round(timings.seconds["calls"], 2),
                        "due_s": round(timings.seconds["due"], 2), "plan_s": round(timings.seconds["plan"], 2),
                        "waiting_for_calls_s": round(timings.seconds["waiting"], 2),
                        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)})
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    print(f"imported {figures['contacts']} contacts in {figures['import_s']} s; queued {figures['queued']} welcomes "
          f"in {figures['enqueue_s']} s")
    print(f"dispatch ({args.provider}, no rate limit, batches of {args.batch_size}, {args.concurrency} threads): "
          f"{figures['sent']} sent, {figures['waiting']} waiting for their hours, in {figures['dispatch_s']} s = "
          f"{figures['sent_per_s']} sent/s ({figures['handled_per_s']} messages handled/s); the provider took "
          f"{figures['provider_accepted']}; peak RSS {figures['peak_rss_mib']} MiB")
    print(f"where the time goes (main thread): reading due messages {figures['due_s']} s, send-time checks "
          f"{figures['plan_s']} s (both mostly while the previous batch's calls run), {figures['transactions']} "
          f"transactions (claim, record) {figures['transactions_s']} s, waiting for the provider's calls "
          f"{figures['waiting_for_calls_s']} s; the calls took {figures['calls_thread_s']} thread-seconds in "
          f"{args.concurrency} threads")
    if "provider_only_per_s" in figures:
        print(f"the provider alone ({args.concurrency} threads, no warehouse): {figures['provider_only_per_s']} "
              "messages/s")
    print("before batching (one claim + one record commit per message): 73-88 messages/s")
    if args.json:
        print(json.dumps(figures))


@contextmanager
def _no_standin(work: Path):
    yield None, lambda: len((work / "sandbox" / "messages.jsonl").read_bytes().splitlines())


if __name__ == "__main__":
    main()
