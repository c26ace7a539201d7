"""The REST recipe of docs/deployment.md ("Trigger an import over the REST API"), against a real
Airflow on loopback: an api-server and a scheduler (LocalExecutor, 2 slots, SQLite); a token from
/auth/token, the DAG unpaused (PATCH), POST /api/v2/dags/contact_import/dagRuns with
`"logical_date": null` and a run conf, the run polled until it finishes; then the warehouse holds
the batch, staged by that very run.

The minimum that makes a run finish (Airflow 3.3): the scheduler runs the DAGs it finds serialized
in the metadata database, its LocalExecutor's workers run each task (parsing the DAG file
themselves) and report over the api-server's Execution API. The dag-processor only serializes the
DAG files: here that is done once beforehand, as dag.test() does it (`sync_bag_to_db`), into the
session's metadata database (migrated once, the pools applied from config/airflow_settings.yaml
by tests/conftest.py, as `make airflow-db` does), which the servers get a copy of. No triggerer:
contact_import defers nothing.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

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


def serialized_dags(airflow_db) -> Path:
    """The session's metadata database with every project DAG serialized; its file."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db

    manager = DagBundlesManager()
    manager.sync_bundles_to_db()
    for bundle in manager.get_all_dag_bundles():
        bundle.initialize()
        sync_bag_to_db(BundleDagBag(dag_folder=bundle.path, bundle_path=bundle.path, bundle_name=bundle.name),
                       bundle.name, bundle.version)
    return airflow_db / "airflow.db"


def test_a_contact_import_triggered_over_rest_with_a_conf_runs_to_success_and_its_batch_is_in_the_warehouse(
        tmp_path, data_dir, airflow_db):
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
           "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False"}
    with airflow_services(home, USERS, ["api-server", "scheduler"], env,
                          metadata_from=serialized_dags(airflow_db)) as airflow:
        headers = airflow.auth("ops")
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
