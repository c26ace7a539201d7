"""The scale-out run of issue 12: the demo's DAG chain on Airflow's CeleryExecutor with two workers,
compared with the same chain run embedded (dag.test(), what `airflow dags test` and `make demo` run).

    .venv/bin/python -m tests.scaleout.harness --root /tmp/scaleout [--backend ducklake-postgres]

What it does, all on 127.0.0.1, every process it starts stopped in a `finally`:

1. Sample inputs, written once (the demo's files, today's dates) and copied for each run.
2. `scripts/servers.sh start`: PostgreSQL and Redis from the Debian packages (installed if missing).
3. The scale-out run (first: on a backend that cannot run the chain it fails within a minute):
   Airflow's metadata in PostgreSQL (database `airflow`), Celery over Redis, the api-server
   (workers reach the Task Execution API there), the scheduler, the dag-processor and two
   `airflow celery worker`s, each with its own working directory, AIRFLOW_HOME (logs) and
   hostname, as two hosts would be; what they share is what hosts would share: the metadata
   database, the broker, the data folder (a shared volume in docker-compose.yml) and the
   warehouse backend. `--backend ducklake-postgres` (the default): a DuckLake whose catalog is in
   PostgreSQL (database `optline_lake`) and whose Parquet files are under the data folder;
   `--backend duckdb`: the DuckDB file (one host only; it proves the harness itself).
   Cron and asset schedules are off (`[scheduler] use_job_schedule`): the harness triggers each
   DAG of `CHAIN` through the REST API, with the demo's conf, and waits for it.
4. The embedded run on the same data folder path (so file paths stored in the warehouse agree):
   OPTLINE_WAREHOUSE_FORMAT=duckdb (one file), Airflow on SQLite, each DAG of `CHAIN` with
   dag.test() in one process; a snapshot of every warehouse table after each run.
5. Checks, written as JSON to `<root>/report.json` (and printed): every run succeeded; the
   warehouse tables are equal after `normalize` (what legitimately differs between two runs is
   masked or renamed there, and only that); no idempotency key reached the provider stand-in
   twice (the webhook stand-in records every POST, duplicates included); no task instance has
   try_number > 1; both workers ran tasks. Also measured: PostgreSQL's open connections per
   database (peak), seconds per step.

Exit status 0 when every check holds.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import pickle
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
SERVERS = PROJECT / "scripts" / "servers.sh"
VENV_BIN = Path(sys.executable).parent
AIRFLOW = VENV_BIN / "airflow"
OPTLINE = VENV_BIN / "optline"

PG_PORT = int(os.environ.get("SCALEOUT_PG_PORT", "25433"))
REDIS_PORT = int(os.environ.get("SCALEOUT_REDIS_PORT", "26379"))
API_PORT = int(os.environ.get("SCALEOUT_API_PORT", "28080"))
LOG_SERVER_PORTS = (28793, 28794)   # each worker serves its task logs on its own port (fixed ports: below the
# ephemeral range 32768-60999, so no client socket of a parallel test holds one)
WORKERS = ("worker-a", "worker-b")
WORKER_CONCURRENCY = 2
HMAC_KEY = "scaleout-key-" + "0123456789abcdef" * 4
RUN_TIMEOUT = 900.0

# The demo's chain (optline.demo.run): DAG and whether it gets the demo's send clock as conf.
CHAIN = (("contact_import", False), ("optout_import", False), ("welcome_messages", False),
         ("message_dispatch", True), ("inbound_messages", False), ("web_confirmations", False),
         ("message_dispatch", True))


DEPLOY_PROVIDERS = ("apache-airflow-providers-celery", "apache-airflow-providers-postgres",
                    "apache-airflow-providers-redis")
INSTALL_DEPLOY = (".venv/bin/uv pip install --python .venv/bin/python -c docker/requirements.lock "
                  + " ".join(DEPLOY_PROVIDERS))


def require_deploy_providers() -> None:
    """The CeleryExecutor and PostgreSQL driver come from the `deploy` extra (docker/requirements.lock)."""
    from importlib.metadata import PackageNotFoundError, version

    missing = []
    for name in DEPLOY_PROVIDERS:
        try:
            version(name)
        except PackageNotFoundError:
            missing.append(name)
    if missing:
        raise RuntimeError(f"{', '.join(missing)} not installed in this venv: run `{INSTALL_DEPLOY}`")
    from celery.backends import database

    if not hasattr(database, "retry"):
        raise RuntimeError("celery >= 5.7 lacks celery.backends.database.retry, which "
                           "apache-airflow-providers-celery 3.26.0 imports (its workers cannot start): "
                           "pin celery==5.6.3")


def log(message: str) -> None:
    print(f"[scaleout {dt.datetime.now():%H:%M:%S}] {message}", flush=True)


# --- environments -------------------------------------------------------------------------------


def base_env() -> dict[str, str]:
    """This process's environment without any Airflow or Optline setting (each run sets its own)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AIRFLOW", "OPTLINE_", "PYTEST")) and k != "PYTHONDONTWRITEBYTECODE"}
    env.update({
        "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        "PYTHONPYCACHEPREFIX": env.get("PYTHONPYCACHEPREFIX", str(PROJECT / ".venv" / "pycache")),
        # this checkout's library first (the .venv has it installed editable: the same files)
        "PYTHONPATH": f"{PROJECT / 'include'}{os.pathsep}{PROJECT}",
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "OPTLINE_HMAC_KEY": HMAC_KEY,
        "OPTLINE_MESSAGE_PROVIDER": "webhook",
    })
    return env


def optline_env(data: Path, backend: str, lake_dsn: str) -> dict[str, str]:
    warehouse = data / "warehouse.duckdb"
    env = {"OPTLINE_DATA_DIR": str(data), "OPTLINE_WAREHOUSE": str(warehouse),
           "AIRFLOW_CONN_OPTLINE_WAREHOUSE": json.dumps({"conn_type": "duckdb", "host": str(warehouse)})}
    if backend == "ducklake-postgres":
        env.update({"OPTLINE_WAREHOUSE_FORMAT": "ducklake", "OPTLINE_LAKE_CATALOG": f"postgres:{lake_dsn}"})
    elif backend == "ducklake-sqlite":
        env.update({"OPTLINE_WAREHOUSE_FORMAT": "ducklake", "OPTLINE_LAKE_CATALOG": "sqlite"})
    else:
        env["OPTLINE_WAREHOUSE_FORMAT"] = "duckdb"
    return env


def webhook_env(url: str) -> dict[str, str]:
    return {"AIRFLOW_CONN_OPTLINE_WEBHOOK": json.dumps(
        {"conn_type": "http", "host": url + "/messages", "extra": {"lookup_url": url + "/messages/{key}"}})}


def celery_env(root: str) -> dict[str, str]:
    """What every Airflow component of the scale-out run shares (docker-compose.yml's x-airflow-common)."""
    pg = f"postgres@127.0.0.1:{PG_PORT}/airflow"
    secret = base64.urlsafe_b64encode(b"scaleout-fernet-key-32-bytes-ok!").decode()
    return {
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://{pg}",
        "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql://{pg}",
        "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
        "AIRFLOW__CORE__FERNET_KEY": secret,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{API_PORT}/execution/",
        "AIRFLOW__API_AUTH__JWT_SECRET": "scaleout-jwt-secret-" + "ab" * 16,
        "AIRFLOW__API__SECRET_KEY": "scaleout-api-secret-" + "cd" * 16,
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(API_PORT),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{API_PORT}",
        "AIRFLOW__API__WORKERS": "1",
        # Loopback only, no users: every request is an admin's (the harness triggers DAGs).
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        # No cron or asset runs: the harness triggers the chain, exactly as the embedded run has it.
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.5",
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(WORKER_CONCURRENCY),
        "AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER": "1",
        "AIRFLOW__CORE__DAG_FILE_PROCESSOR_TIMEOUT": "120",
        "AIRFLOW__DAG_PROCESSOR__DAG_FILE_PROCESSOR_TIMEOUT": "120",
        # Each DAG file parsed once: the files do not change during a run, and the default (every
        # 30 s) re-parsed all of them ~8 times a run, CPU the run's tasks on this 2-core machine need.
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "3600",
        "AIRFLOW_HOME": root,
    }


# --- processes ----------------------------------------------------------------------------------


class Processes:
    """The long-running processes this harness started; `stop` ends each one's process group."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, command: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen:
        cwd.mkdir(parents=True, exist_ok=True)
        out = (self.logs / f"{name}.log").open("w")
        proc = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        out.close()
        self.started.append((name, proc))
        log(f"started {name} (PID {proc.pid})")
        return proc

    def check_alive(self) -> None:
        for name, proc in self.started:
            if proc.poll() is not None:
                tail = (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{tail}")

    def stop(self) -> None:
        for _name, proc in reversed(self.started):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        deadline = time.monotonic() + 30
        for name, proc in reversed(self.started):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log(f"{name} did not stop on SIGTERM: SIGKILL")
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=10)
        self.started.clear()


def run(command: list[str], env: dict[str, str], logfile: Path, cwd: Path = PROJECT, timeout: float = 600) -> None:
    with logfile.open("a") as out:
        out.write(f"\n$ {' '.join(command)}\n")
        out.flush()
        done = subprocess.run(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                              timeout=timeout, check=False)
    if done.returncode:
        tail = logfile.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{' '.join(command[:3])} failed ({done.returncode}):\n{tail}")


@contextmanager
def servers(folder: Path) -> Iterator[None]:
    env = {**os.environ, "PGPORT": str(PG_PORT), "REDIS_PORT": str(REDIS_PORT)}
    started = time.monotonic()
    try:
        subprocess.run([str(SERVERS), "start", str(folder)], env=env, check=True)
        log(f"servers up in {time.monotonic() - started:.1f} s")
        yield
    finally:
        subprocess.run([str(SERVERS), "stop", str(folder)], env=env, check=False)


def psql(sql: str, database: str = "postgres") -> str:
    psql_bin = sorted(Path("/usr/lib/postgresql").glob("*/bin/psql"))
    done = subprocess.run([str(psql_bin[-1]) if psql_bin else "psql", "-qAt", "-h", "127.0.0.1", "-p",
                           str(PG_PORT), "-U", "postgres", "-d", database, "-c", sql],
                          capture_output=True, text=True, check=True)
    return done.stdout


# --- the stand-in provider ----------------------------------------------------------------------


@contextmanager
def provider() -> Iterator[object]:
    from tests.standins.webhook_server import WebhookStandIn

    with WebhookStandIn() as hook:
        yield hook


def sends(hook) -> dict:
    received = [r for r in hook.received]
    keys = Counter(r["idempotency_key"] for r in received)
    return {"posts": len(received), "keys": len(keys), "accepted": len(hook.accepted),
            "sent_twice": sorted(k for k, n in keys.items() if n > 1),
            "ids": {m["id"]: m["idempotency_key"] for m in hook.accepted}}


# --- the warehouse ------------------------------------------------------------------------------


def snapshot_here(out: Path) -> None:
    """(In a subprocess with the run's environment.) Every table's column names, types and rows."""
    from optline import warehouse

    conn = warehouse.connect(read_only=True)
    try:
        tables = conn.execute("""select table_schema, table_name from information_schema.tables
            where table_type = 'BASE TABLE' and table_catalog = current_database() order by all""").fetchall()
        result = {}
        for schema, table in tables:
            relation = conn.execute(f'select * from "{schema}"."{table}"')
            columns = [(d[0], str(d[1])) for d in relation.description]
            result[f"{schema}.{table}"] = {"columns": columns, "rows": relation.fetchall()}
    finally:
        conn.close()
    out.write_bytes(pickle.dumps(result))


def snapshot(env: dict[str, str], out: Path, logfile: Path) -> dict:
    run([sys.executable, "-m", "tests.scaleout.harness", "snapshot", str(out)], env, logfile)
    return pickle.loads(out.read_bytes())


MASKED = "<differs by run>"


def _hashable(value):
    """LIST and STRUCT values (lists, dicts) as tuples, so rows can be counted and sorted."""
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


MASKED_COLUMNS = {
    "claim_token": "a random token each claim of a message draws",
    "imported_by": "who started the run: `dag_test` under dags test, the REST API's user under Celery",
    "file_stat": "the inbox file's device, inode and change time: each run imports its own copy of the inputs",
}
"""Columns masked by name (besides timestamps and run ids), each with why it differs by run."""


def _clock_texts(tables: dict) -> set[str]:
    """How rule texts name a run's import clock ("... after the import clock (2026-12-01 15:58 UTC)")."""
    batches = tables.get("ops.batches")
    if not batches:
        return set()
    at = [column for column, _ in batches["columns"]].index("as_of")
    return {f"{row[at]:%Y-%m-%d %H:%M} UTC" for row in batches["rows"] if row[at] is not None}


Window = tuple[dt.datetime, dt.datetime]


def run_windows(started: dt.datetime, ended: dt.datetime, send_clock: dt.datetime) -> list[Window]:
    """When a run's clocks could have stood: the wall clock while it ran, and the demo's send clock
    (message_dispatch's `as_of`) plus as long (a send's claim and finish times move on from it)."""
    return [(started, ended), (send_clock, send_clock + (ended - started))]


_REPORT_DIR = re.compile(r"/batches/(\d{6})/")


def _batch_names(tables: dict) -> dict[int, str]:
    """Each batch id (one id space for every kind of batch) named by its kind and input file: the
    order in which a run's tasks take the writer pool decides which file gets which id (the three
    contact files are staged by three mapped tasks, in whatever order they get the slot)."""
    names = {}
    for table, content in tables.items():
        columns = [column for column, _ in content["columns"]]
        if table.startswith("ops.") and table.endswith("batches") and {"batch_id", "file_name"} <= set(columns):
            at, name = columns.index("batch_id"), columns.index("file_name")
            names.update({row[at]: f"<batch of {table}:{row[name]}>" for row in content["rows"]})
    return names


def _in(value: dt.datetime, windows: list[Window]) -> bool:
    at = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return any(start <= at <= end for start, end in windows)


def normalize(tables: dict, provider_ids: dict[str, str],
              windows: list[Window]) -> tuple[dict[str, list], list[str]]:
    """Rows comparable between two runs, and what was masked. Masked, and only these:
    - timestamps inside the run's `windows`: when the run loaded, decided, sent...; timestamps
      outside them (from the input files: opt-in, received and confirmation times) are compared;
    - columns named *run_id*: Airflow's run ids (`manual__<time>` from dag.test(), the harness's own);
    - `MASKED_COLUMNS`, each for the reason given there;
    - the import clock where a text names it (a rule's reason): `<import clock>`;
    - batch ids (`*batch_id` columns, and in report paths `/batches/NNNNNN/`): named by the batch's
      input file instead (`_batch_names`), since the order the files took the pool decides them;
    - provider message ids: the stand-in's ids are random; each is replaced by the idempotency key
      it was issued for, so a row must still hold the id of its own message.
    Table and column sets must be equal; rows are compared sorted. The second value lists the
    columns where something was masked."""
    masked: set[str] = set()
    clocks = _clock_texts(tables)
    batches = _batch_names(tables)
    result = {}
    for name, table in sorted(tables.items()):
        columns = table["columns"]
        by_name = ["run_id" in column.lower() or column in MASKED_COLUMNS for column, _ in columns]
        batch_column = [column.endswith("batch_id") for column, _ in columns]
        rows = []
        for row in table["rows"]:
            values = []
            for (column, _), value, m, b in zip(columns, row, by_name, batch_column):
                if b and value in batches:
                    value = batches[value]
                    masked.add(f"{name}.{column}")
                elif value is not None and (m or isinstance(value, dt.datetime) and _in(value, windows)):
                    value = MASKED
                    masked.add(f"{name}.{column}")
                elif isinstance(value, str) and value in provider_ids:
                    value = f"<provider id of {provider_ids[value]}>"
                    masked.add(f"{name}.{column}")
                elif isinstance(value, str):
                    if _REPORT_DIR.search(value):
                        value = _REPORT_DIR.sub(lambda m: f"/batches/{batches.get(int(m[1]), m[1])}/", value)
                        masked.add(f"{name}.{column}")
                    for clock in clocks:
                        if clock in value:
                            value = value.replace(clock, "<import clock>")
                            masked.add(f"{name}.{column}")
                values.append(_hashable(value))
            rows.append(tuple(values))
        result[name] = {"columns": [c for c, _ in columns],
                        "rows": sorted(rows, key=lambda row: [repr(v) for v in row])}
    return result, sorted(masked)


COUNTS_WRITES = {"ops.write_guard"}
"""Tables that count write transactions, not data: the write guard is bumped only on a lake with a
PostgreSQL catalog (optline.lake), so the embedded (SQLite) run's stays 0. Left out, and said so."""


def compare(embedded: dict, scaled: dict) -> list[str]:
    """What differs, table by table (empty: the warehouses are equal), but `COUNTS_WRITES`."""
    problems = []
    for name in sorted((embedded.keys() | scaled.keys()) - COUNTS_WRITES):
        if name not in scaled or name not in embedded:
            problems.append(f"{name}: only in the {'embedded' if name in embedded else 'scale-out'} run")
            continue
        a, b = embedded[name], scaled[name]
        if a["columns"] != b["columns"]:
            problems.append(f"{name}: columns {a['columns']} != {b['columns']}")
            continue
        only_a = Counter(a["rows"]) - Counter(b["rows"])
        only_b = Counter(b["rows"]) - Counter(a["rows"])
        if only_a or only_b:
            problems.append(f"{name}: {sum(only_a.values())} row(s) only embedded, {sum(only_b.values())} only "
                            f"scale-out; e.g. {list(only_a)[:2]} vs {list(only_b)[:2]}")
    return problems


# --- inputs ---------------------------------------------------------------------------------------


def inputs_here(as_of: str) -> None:
    """(In a subprocess with OPTLINE_DATA_DIR set.) The demo's sample inputs, as `optline demo` writes them."""
    from optline import samples
    from optline.config import paths
    from optline.consent import confirmations, inbound, optouts

    today = dt.date.fromisoformat(as_of)
    samples.write_samples(paths().inbox, today)
    optouts.write_samples(optouts.inbox(), today)
    inbound.write_samples(inbound.inbox(), today)
    confirmations.write_samples(confirmations.inbox(), today, ["+17025550119", "+13055550112"])


def embedded_here(conf: dict) -> None:
    """(In a subprocess with the embedded run's environment.) Each DAG of `CHAIN` with dag.test(),
    as `airflow dags test` runs it; exits 1 at the first run that does not succeed."""
    import importlib.util

    for dag_id, with_conf in CHAIN:
        spec = importlib.util.spec_from_file_location(f"scaleout_{dag_id}", PROJECT / "dags" / f"{dag_id}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        t0 = time.monotonic()
        dag_run = getattr(module, dag_id)().test(run_conf=conf if with_conf else None)
        log(f"embedded {dag_id}: {dag_run.state} in {time.monotonic() - t0:.1f} s")
        if str(dag_run.state) != "success":
            sys.exit(1)


def send_conf(today: dt.date) -> dict:
    from optline.demo import demo_clock

    return {"as_of": demo_clock(today).isoformat()}


# --- the two runs ---------------------------------------------------------------------------------


def embedded_run(root: Path, data: Path, inputs: Path, conf: dict, report: dict,
                 airflow_db: Path | None = None) -> tuple[dict, dict]:
    """The chain as `make demo` runs it (dag.test(), a DuckDB file, Airflow on SQLite), in one process.
    `airflow_db`: an Airflow SQLite database `airflow db migrate` made (the test session's), copied
    instead of migrating a new one (~10 s)."""
    shutil.copytree(inputs, data)  # (copy2: the files keep the inputs' modification times)
    began = dt.datetime.now(dt.UTC)
    home = root / "embedded-airflow"
    home.mkdir()
    logfile = root / "logs" / "embedded.log"
    started = time.monotonic()
    with provider() as hook:
        env = {**base_env(), **optline_env(data, "duckdb", ""), **webhook_env(hook.url), "AIRFLOW_HOME": str(home)}
        if airflow_db is not None:
            from tests.helpers import copy_sqlite

            copy_sqlite(airflow_db, home / "airflow.db")
        else:
            run([str(AIRFLOW), "db", "migrate"], env, logfile)
        run([sys.executable, "-m", "optline.tasks.settings"], env, logfile)
        # the chain in one process (dag.test(), what `airflow dags test` runs, without 7 interpreter starts)
        run([sys.executable, "-m", "tests.scaleout.harness", "embedded", json.dumps(conf)], env, logfile,
            timeout=RUN_TIMEOUT)
        tables = snapshot(env, root / "embedded.pickle", logfile)
        sent = sends(hook)
    sent["window"] = (began, dt.datetime.now(dt.UTC))
    (root / "embedded.pickle").write_bytes(pickle.dumps({"tables": tables, "sent": sent}))
    report["embedded"] = {"seconds": round(time.monotonic() - started, 1), "provider": _public(sent)}
    log(f"embedded chain done in {report['embedded']['seconds']} s")
    return tables, sent


def _public(sent: dict) -> dict:
    return {k: v for k, v in sent.items() if k not in ("ids", "window")}


def api(method: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{API_PORT}{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


def wait_for(what: str, check, timeout: float, procs: Processes) -> None:
    deadline = time.monotonic() + timeout
    while True:
        procs.check_alive()
        try:
            if check():
                return
        except (OSError, urllib.error.URLError, subprocess.CalledProcessError, ValueError):
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what} after {timeout:.0f} s")
        time.sleep(0.5)


class ConnectionPeaks:
    """Samples PostgreSQL's open connections per database each second (for sizing max_connections)."""

    def __init__(self) -> None:
        import threading

        self.peaks: Counter = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(1.0):
            try:
                rows = psql("select coalesce(datname, '-'), count(*) from pg_stat_activity "
                            "where backend_type = 'client backend' group by 1")
            except subprocess.CalledProcessError:
                continue
            for line in rows.splitlines():
                database, count = line.split("|")
                self.peaks[database] = max(self.peaks[database], int(count))

    def __enter__(self) -> ConnectionPeaks:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def run_chain(conf: dict, procs: Processes, runs: list[dict]) -> None:
    """Trigger each DAG of `CHAIN` through the REST API and wait for its run; stop at a failed one."""
    for step, (dag_id, with_conf) in enumerate(CHAIN, 1):
        run_id = f"scaleout_{step}_{dag_id}"
        t0 = time.monotonic()
        api("POST", f"/api/v2/dags/{dag_id}/dagRuns",
            {"dag_run_id": run_id, "logical_date": None, "conf": conf if with_conf else {}})
        state = {}

        def finished(dag_id=dag_id, run_id=run_id, state=state) -> bool:
            state["value"] = api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")["state"]
            if state["value"] == "running" and psql(
                    f"select count(*) from task_instance where run_id = '{run_id}' and state = 'up_for_retry'",
                    "airflow").strip() != "0":
                state["value"] = "failed: a task is up for retry"  # a check failed already: stop here
            return state["value"] != "running" and state["value"] != "queued"

        wait_for(f"{dag_id} ({run_id})", finished, RUN_TIMEOUT, procs)
        runs.append({"dag_id": dag_id, "run_id": run_id, "state": state["value"],
                     "seconds": round(time.monotonic() - t0, 1)})
        log(f"{run_id}: {state['value']} in {runs[-1]['seconds']} s")
        if state["value"] != "success":
            return


def scaleout_run(root: Path, data: Path, inputs: Path, conf: dict, backend: str, report: dict) -> tuple[dict, dict]:
    shutil.copytree(inputs, data)
    began = dt.datetime.now(dt.UTC)
    lake_dsn = f"dbname=optline_lake host=127.0.0.1 port={PG_PORT} user=postgres"
    psql("create database airflow")
    psql("create database optline_lake")
    logs = root / "logs"
    procs = Processes(logs)
    started = time.monotonic()
    with provider() as hook:
        home = root / "airflow-home"
        common = {**base_env(), **celery_env(str(home)), **optline_env(data, backend, lake_dsn),
                  **webhook_env(hook.url)}
        setup = logs / "setup.log"
        try:
            # airflow-init's steps: the metadata database, the pools (settings file), the warehouse schema.
            run([str(AIRFLOW), "db", "migrate"], common, setup)
            run([sys.executable, "-m", "optline.tasks.settings"], common, setup)
            run([str(OPTLINE), "migrate"], common, setup)
            report["setup_seconds"] = round(time.monotonic() - started, 1)
            procs.start("api-server", [str(AIRFLOW), "api-server"], common, root / "api-server")
            procs.start("scheduler", [str(AIRFLOW), "scheduler"], common, root / "scheduler")
            procs.start("dag-processor", [str(AIRFLOW), "dag-processor"], common, root / "dag-processor")
            for name, log_port in zip(WORKERS, LOG_SERVER_PORTS):
                # a host of its own: working directory, AIRFLOW_HOME (task logs) and hostname
                host_dir = root / name
                host_dir.mkdir()
                (host_dir / "scaleout_host.py").write_text(f"def hostname():\n    return {name!r}\n")
                env = {**common, "AIRFLOW_HOME": str(host_dir / "airflow-home"),
                       "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(log_port),
                       # the name Airflow records for the task instances this "host" runs
                       "AIRFLOW__CORE__HOSTNAME_CALLABLE": "scaleout_host.hostname",
                       "PYTHONPATH": f"{host_dir}{os.pathsep}{common['PYTHONPATH']}"}
                procs.start(name, [str(AIRFLOW), "celery", "worker", "--celery-hostname", f"{name}@scaleout",
                                   "--concurrency", str(WORKER_CONCURRENCY)], env, host_dir)
            wanted = {dag_id for dag_id, _ in CHAIN}
            wait_for("the api-server", lambda: api("GET", "/api/v2/monitor/health") is not None, 120, procs)
            wait_for("the DAGs to be parsed", lambda: wanted <= set(
                psql("select dag_id from dag", "airflow").split()), 240, procs)
            # The sending DAGs start paused (is_paused_upon_creation): unpause the chain's, as an operator does.
            for dag_id in sorted(wanted):
                api("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})
            wait_for("both workers", lambda: all("ready." in (logs / f"{name}.log").read_text(errors="replace")
                                                 for name in WORKERS), 120, procs)
            report["ready_seconds"] = round(time.monotonic() - started, 1)
            log(f"Airflow with two Celery workers ready after {report['ready_seconds']} s")
            runs = report["runs"] = []
            with ConnectionPeaks() as peaks:
                run_chain(conf, procs, runs)
            report["postgres_connections_peak"] = dict(peaks.peaks)
            rows = psql("select dag_id, task_id, map_index, try_number, state, hostname from task_instance "
                        "order by dag_id, task_id, map_index", "airflow")
            instances = [line.split("|") for line in rows.splitlines() if line]
            report["task_instances"] = len(instances)
            report["retried"] = [i for i in instances if i[3].isdigit() and int(i[3]) > 1 or i[4] == "up_for_retry"]
            report["by_host"] = dict(Counter(i[5] for i in instances if i[5] and i[4] not in ("skipped", "removed")))
        finally:
            procs.stop()
        report["scaleout_seconds"] = round(time.monotonic() - started, 1)
        done = report.get("runs") and report["runs"][-1]["state"] == "success"
        tables = snapshot(common, root / "scaleout.pickle", setup) if done else {}
        sent = sends(hook)
    sent["window"] = (began, dt.datetime.now(dt.UTC))
    (root / "scaleout-sent.pickle").write_bytes(pickle.dumps(sent))
    report["scaleout"] = {"provider": _public(sent)}
    return tables, sent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, required=True, help="an empty folder for everything (kept)")
    parser.add_argument("--backend", choices=("ducklake-postgres", "ducklake-sqlite", "duckdb"),
                        default="ducklake-postgres", help="the scale-out run's warehouse")
    parser.add_argument("--airflow-db", type=Path,
                        help="a migrated Airflow SQLite database for the embedded run to copy (else migrated)")
    parser.add_argument("--reuse-embedded", action="store_true",
                        help="reuse the embedded run a previous call left in --root (working on the harness)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    root.mkdir(parents=True, exist_ok=True)
    (root / "logs").mkdir(exist_ok=True)
    if os.geteuid() == 0:
        root.chmod(0o755)
    report: dict = {"backend": args.backend, "root": str(root)}
    started = time.monotonic()
    today = dt.date.today()
    conf = send_conf(today)
    data = root / "data"          # the same path in both runs: paths stored in the warehouse agree
    inputs = root / "inputs"
    try:
        require_deploy_providers()
        if not inputs.exists():
            run([sys.executable, "-m", "tests.scaleout.harness", "inputs", today.isoformat()],
                {**base_env(), "OPTLINE_DATA_DIR": str(inputs)}, root / "logs" / "inputs.log")
        for stale in ("data", "scaleout-data", "airflow-home", "servers", *WORKERS):
            shutil.rmtree(root / stale, ignore_errors=True)
        # The scale-out run first: on a backend that cannot run the chain it fails in a minute.
        with servers(root / "servers"):
            scaled, scaled_sent = scaleout_run(root, data, inputs, conf, args.backend, report)
        data.rename(root / "scaleout-data")
        if args.reuse_embedded and (root / "embedded.pickle").exists():  # (when working on the harness)
            saved = pickle.loads((root / "embedded.pickle").read_bytes())
            embedded, embedded_sent = saved["tables"], saved["sent"]
            report["embedded"] = {"reused": True, "provider": _public(embedded_sent)}
        elif scaled:
            shutil.rmtree(root / "embedded-airflow", ignore_errors=True)
            embedded, embedded_sent = embedded_run(root, data, inputs, conf, report, args.airflow_db)
        if scaled:
            clock = dt.datetime.fromisoformat(conf["as_of"])
            a, masked = normalize(embedded, embedded_sent["ids"], run_windows(*embedded_sent["window"], clock))
            b, masked_too = normalize(scaled, scaled_sent["ids"], run_windows(*scaled_sent["window"], clock))
            report["masked_columns"] = sorted(set(masked) | set(masked_too))
            report["tables"] = len(a)
            report["rows"] = sum(len(t["rows"]) for t in a.values())
            report["differences"] = compare(a, b)
        else:
            report["differences"] = ["the scale-out chain did not finish: no comparison"]
    except Exception as exc:  # noqa: BLE001 - reported, and the exit status says it failed
        report["error"] = f"{type(exc).__name__}: {exc}"
    report["seconds"] = round(time.monotonic() - started, 1)
    runs = report.get("runs", [])
    ok = (not report.get("error") and not report.get("differences")
          and len(runs) == len(CHAIN) and all(r["state"] == "success" for r in runs)
          and not report.get("retried")
          and all(report.get(run, {}).get("provider", {}).get("sent_twice") == [] for run in ("embedded", "scaleout"))
          and set(report.get("by_host", {})) == set(WORKERS))
    report["ok"] = ok
    (root / "report.json").write_text(json.dumps(report, indent=2, default=str))
    print(json.dumps(report, indent=2, default=str))
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "snapshot":
        snapshot_here(Path(sys.argv[2]))
    elif len(sys.argv) > 1 and sys.argv[1] == "embedded":
        embedded_here(json.loads(sys.argv[2]))
    elif len(sys.argv) > 1 and sys.argv[1] == "inputs":
        inputs_here(sys.argv[2])
    else:
        sys.exit(main())
