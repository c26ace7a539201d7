"""The REST recipe of docs/deployment.md ("Trigger an import over the REST API"), against a real
Airflow on loopback: an api-server, a scheduler (LocalExecutor, 2 slots) and a dag-processor on
a PostgreSQL metadata database (a throw-away database on the session's loopback PostgreSQL, as a
deployment has it: a scheduler and its LocalExecutor's workers on SQLite were seen to livelock on
SQLite's WAL read locks under load, leaving the run queued); a token from /auth/token, the DAG
unpaused (PATCH) once the dag-processor has serialized it, POST
/api/v2/dags/contact_import/dagRuns with `"logical_date": null` and a run conf, the run polled
until it finishes; then the warehouse holds the batch, staged by that very run. No triggerer:
contact_import defers nothing.
"""

from __future__ import annotations

import secrets
import time

import pytest
import requests

from optline import warehouse
from tests.airflow_servers import airflow_services
from tests.conftest import PROJECT
from tests.helpers import write_csv

pytestmark = pytest.mark.airflow

AS_OF = "2026-11-01T12:00:00+00:00"
RUN_TIMEOUT_S = 150
USERS = {"ops": ("user", "opspw-" + secrets.token_hex(4)), "vic": ("viewer", "vicpw-" + secrets.token_hex(4))}


def get(url: str, headers: dict[str, str], until: float) -> dict:
    """GET a JSON answer, asking again while a loaded api-server is slow to answer."""
    while True:
        try:
            answer = requests.get(url, headers=headers, timeout=15)
            if answer.status_code != 404:
                return answer.json()
        except requests.Timeout:
            pass
        assert time.monotonic() < until, f"no answer from {url} in time"
        time.sleep(1)


def airflow_database(postgres_dsn: str) -> str:
    """A new, empty database on the session's PostgreSQL for Airflow's metadata; its URL."""
    import psycopg2

    name = f"airflow_rest_{secrets.token_hex(4)}"
    conn = psycopg2.connect(postgres_dsn)
    try:
        conn.autocommit = True  # create database runs outside a transaction
        with conn.cursor() as cur:
            cur.execute(f"create database {name}")
    finally:
        conn.close()
    params = dict(part.split("=", 1) for part in postgres_dsn.split())
    return f"postgresql+psycopg2://{params['user']}@{params['host']}:{params['port']}/{name}"


def test_a_contact_import_triggered_over_rest_with_a_conf_runs_to_success_and_its_batch_is_in_the_warehouse(
        tmp_path, data_dir, postgres_dsn):
    inbox = tmp_path / "rest-inbox"
    write_csv(inbox / "rest_signups.csv", [["phone", "first_name", "dob", "opt_in"],
                                           ["(415) 555-0101", "Ann", "1990-01-02", "2026-10-01"],
                                           ["(415) 555-0102", "Bo", "1988-05-06", "2026-10-02"]], lists=["Rest"])
    home = tmp_path / "airflow-home"
    home.mkdir()
    env = {"AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT / "dags"),
           "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
           "AIRFLOW__CORE__PARALLELISM": "2",
           # only the triggered run: none from the DAG's schedule once it is unpaused
           "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
           # each DAG file parsed once (not again every 30 s while the run goes: CPU it needs)
           "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "3600"}
    env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = airflow_database(postgres_dsn)
    with airflow_services(home, USERS, ["api-server", "scheduler", "dag-processor"], env) as airflow:
        headers = airflow.auth("ops")
        get(f"{airflow.base}/api/v2/dags/contact_import", headers, time.monotonic() + 120)  # parsed
        unpaused = requests.patch(f"{airflow.base}/api/v2/dags/contact_import", headers=headers, timeout=30,
                                  json={"is_paused": False})
        assert unpaused.status_code == 200 and unpaused.json()["is_paused"] is False, unpaused.text
        body = {"logical_date": None, "conf": {"inbox": str(inbox), "as_of": AS_OF}}
        refused = requests.post(f"{airflow.base}/api/v2/dags/contact_import/dagRuns", headers=airflow.auth("vic"),
                                json=body, timeout=30)
        assert refused.status_code == 403, refused.text  # a viewer may not trigger
        started = requests.post(f"{airflow.base}/api/v2/dags/contact_import/dagRuns", headers=headers, timeout=30,
                                json=body)
        assert started.status_code == 200, started.text
        run_id = started.json()["dag_run_id"]
        end = time.monotonic() + RUN_TIMEOUT_S
        while (state := get(f"{airflow.base}/api/v2/dags/contact_import/dagRuns/{run_id}", headers,
                            end)["state"]) in ("queued", "running"):
            assert time.monotonic() < end, f"run {run_id} still {state}: " + airflow.log("scheduler")
            time.sleep(1)
        tasks = get(f"{airflow.base}/api/v2/dags/contact_import/dagRuns/{run_id}/taskInstances", headers,
                    time.monotonic() + 30)["task_instances"]
    assert state == "success", ({t["task_id"]: t["state"] for t in tasks}, airflow.log("scheduler"))
    with warehouse.connect(data_dir / "warehouse.duckdb", read_only=True) as conn:
        batches = conn.execute("select file_name, status, rows_loaded, run_id from ops.batches").fetchall()
    assert batches == [("rest_signups.csv", "merged", 2, run_id)]
