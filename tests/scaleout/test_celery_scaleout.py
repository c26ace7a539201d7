"""Issue 12, "What it must show" 3: Optline on Airflow's CeleryExecutor with workers on two "hosts".

- The servers: `scripts/servers.sh` brings PostgreSQL and Redis up on loopback from the Debian
  packages (installing them when missing) and stops them.
- The shared backend: a DuckLake with its catalog in that PostgreSQL, attached by two processes
  with their own working directories through `optline.lake.connect`: what one commits, the other
  reads (catalog over the network, Parquet files in the shared folder).
- The chain: `tests/scaleout/harness.py` runs the demo's DAG chain on two Celery workers and
  embedded, and compares the warehouses table by table (its docstring says what it masks and why),
  counts the sends at the provider stand-in, and reads every task instance's try number.
- The deployment: docker-compose.yml and docs/deployment.md name the backend the harness runs.

The servers tests skip, saying why, only where the packages cannot be installed (not root, or
no apt-get); anything else that goes wrong fails.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import AIRFLOW_DB_MIGRATED, PROJECT
from tests.scaleout import harness
from tests.test_docker_compose import (
    COMMON_ANCHOR,
    command_text,
    environment_of,
    interpolate_tree,
    parse_env_file,
    volumes_of,
)

SERVERS = PROJECT / "scripts" / "servers.sh"
# Ports of this module's own servers (the harness starts its own on harness.PG_PORT/REDIS_PORT).
PG_PORT, REDIS_PORT = 25434, 26380
CANNOT_INSTALL = 3  # servers.sh's exit status when the packages are missing and cannot be installed


def _servers(command: str, folder: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PGPORT": str(PG_PORT), "REDIS_PORT": str(REDIS_PORT)}
    return subprocess.run([str(SERVERS), command, str(folder)], env=env, capture_output=True, text=True,
                          timeout=600, check=False)


def _require_servers() -> None:
    """Install the Debian packages if missing; skip (with the reason) only where that is impossible."""
    done = subprocess.run([str(SERVERS), "install"], capture_output=True, text=True, timeout=600, check=False)
    if done.returncode == CANNOT_INSTALL:
        pytest.skip(done.stderr.strip())
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory):
    _require_servers()
    folder = tmp_path_factory.mktemp("servers")
    started = _servers("start", folder)
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        yield folder
    finally:
        stopped = _servers("stop", folder)
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr


def _psql(sql: str, database: str = "postgres") -> str:
    psql = sorted(Path("/usr/lib/postgresql").glob("*/bin/psql"))
    done = subprocess.run([str(psql[-1]) if psql else "psql", "-qAt", "-h", "127.0.0.1", "-p", str(PG_PORT),
                           "-U", "postgres", "-d", database, "-c", sql], capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.mark.slow
def test_servers_answer_on_loopback_and_stop(servers: Path, tmp_path: Path) -> None:
    assert _psql("select 1") == "1"
    assert _psql("show listen_addresses") == "127.0.0.1"
    pong = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(REDIS_PORT), "ping"],
                          capture_output=True, text=True, check=False)
    assert pong.stdout.strip() == "PONG"
    # A second pair under another folder on other ports starts, answers and stops: nothing is left.
    env = {**os.environ, "PGPORT": str(PG_PORT + 100), "REDIS_PORT": str(REDIS_PORT + 100)}
    for command in ("start", "status", "stop"):
        done = subprocess.run([str(SERVERS), command, str(tmp_path)], env=env, capture_output=True, text=True,
                              timeout=120, check=False)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
    assert subprocess.run([str(SERVERS), "status", str(tmp_path)], env=env, capture_output=True,
                          check=False).returncode != 0


def _host_env(data: Path, dsn: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPTLINE_")}
    env.update({"OPTLINE_WAREHOUSE_FORMAT": "ducklake", "OPTLINE_LAKE_CATALOG": f"postgres:{dsn}",
                "OPTLINE_DATA_DIR": str(data), "OPTLINE_WAREHOUSE": str(data / "warehouse.duckdb"),
                "PYTHONPATH": f"{PROJECT / 'include'}{os.pathsep}{PROJECT}"})
    return env


def _probe(cwd: Path, env: dict[str, str], *args: str) -> dict:
    cwd.mkdir(exist_ok=True)
    done = subprocess.run([sys.executable, "-m", "tests.scaleout.lake_probe", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_two_hosts_share_a_lake_whose_catalog_is_in_postgresql(servers: Path, tmp_path: Path) -> None:
    """What one process commits through `lake.connect` another process (its own working directory,
    read-only) reads: the catalog is in PostgreSQL (its own schema), the rows in Parquet files
    under the shared `<warehouse>.files/` folder."""
    _psql("drop database if exists probe_lake with (force)")
    _psql("create database probe_lake")
    shared = tmp_path / "shared-data"
    env = _host_env(shared, f"dbname=probe_lake host=127.0.0.1 port={PG_PORT} user=postgres")
    wrote_a = _probe(tmp_path / "host-a", env, "write", "host-a", "1000")
    _probe(tmp_path / "host-b", env, "write", "host-b", "250")
    assert _probe(tmp_path / "host-c", env, "read") == {"host-a": 1000, "host-b": 250}
    schemas = _psql("select schema_name from information_schema.schemata", "probe_lake").split()
    assert wrote_a["catalog_schema"] in schemas
    tables = _psql("select table_name from information_schema.tables where table_schema = "
                   f"'{wrote_a['catalog_schema']}'", "probe_lake").split()
    assert "ducklake_snapshot" in tables and "ducklake_data_file" in tables
    assert Path(wrote_a["data_path"]).parent == shared  # beside the warehouse's name: the shared folder
    assert len(list(Path(wrote_a["data_path"]).rglob("*.parquet"))) >= 2  # one commit, one file each
    assert not (shared / "warehouse.duckdb").exists()  # no SQLite catalog: PostgreSQL holds it


def _run_harness(root: Path, backend: str, airflow_db: Path | None = None) -> dict:
    started = time.monotonic()
    copy = ["--airflow-db", str(airflow_db)] if airflow_db else []
    done = subprocess.run([sys.executable, "-m", "tests.scaleout.harness", "--root", str(root), "--backend", backend,
                           *copy],
                          cwd=PROJECT, capture_output=True, text=True, timeout=1500, check=False)
    report_file = root / "report.json"
    assert report_file.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(report_file.read_text())
    print(f"harness ({backend}): {time.monotonic() - started:.0f} s; report {report_file}")
    return report


def _assert_chain_ends_like_embedded(report: dict) -> None:
    assert report.get("error") is None, report["error"]
    assert [(r["dag_id"], r["state"]) for r in report["runs"]] == [(d, "success") for d, _ in harness.CHAIN]
    assert report["retried"] == [], f"task instances tried more than once: {report['retried']}"
    assert set(report["by_host"]) == set(harness.WORKERS), f"tasks by worker: {report['by_host']}"
    for run in ("embedded", "scaleout"):
        sent = report[run]["provider"]
        assert sent["sent_twice"] == [], f"{run}: sent twice: {sent['sent_twice']}"
        assert sent["posts"] == sent["keys"] > 0
    assert report["scaleout"]["provider"]["keys"] == report["embedded"]["provider"]["keys"]
    assert report["differences"] == [], "\n".join(report["differences"])
    assert report["tables"] >= 30 and report["rows"] > 0


OPT_IN = os.environ.get("SCALEOUT_BACKENDS", "").split(",")


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("backend", [
    "ducklake-postgres",
    # The DuckDB file on the same harness: workers on one host only (the file is local), but every
    # other part of the check; it proves the harness itself. Opt-in to keep `make test` short.
    pytest.param("duckdb", marks=pytest.mark.skipif(
        "duckdb" not in OPT_IN, reason="opt-in (SCALEOUT_BACKENDS=duckdb): the harness on the DuckDB file")),
])
def test_demo_chain_on_two_celery_workers_ends_like_the_embedded_run(tmp_path: Path, backend: str,
                                                                     airflow_db: Path) -> None:
    """The demo's chain on the CeleryExecutor with two workers and the shared backend: every run
    succeeds with no task tried twice, both workers ran tasks, no message reached the provider
    twice, and the warehouse equals the embedded run's, table by table. (The embedded run's
    Airflow database is a copy of the session's as migrated: `AIRFLOW_DB_MIGRATED`.)"""
    _require_servers()
    _assert_chain_ends_like_embedded(_run_harness(tmp_path, backend, AIRFLOW_DB_MIGRATED))


# --- the deployment names the same backend ---------------------------------------------------------

COMPOSE = PROJECT / "docker-compose.yml"
DEPLOYMENT_DOC = PROJECT / "docs" / "deployment.md"


@pytest.fixture(scope="module")
def compose_env() -> tuple[dict, dict[str, str]]:
    raw = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    example = parse_env_file((PROJECT / "docker" / ".env.example").read_text())
    filled = {key: value or f"test-{key.lower().replace('_', '-')}" for key, value in example.items()}
    compose = interpolate_tree(raw, filled)
    return compose, environment_of(compose[COMMON_ANCHOR])


def _dsn(catalog: str) -> dict[str, str]:
    assert catalog.startswith("postgres:"), catalog
    return dict(part.split("=", 1) for part in catalog.removeprefix("postgres:").split())


def test_compose_runs_the_lake_with_its_catalog_in_its_own_postgresql_database(compose_env) -> None:
    compose, env = compose_env
    services = compose["services"]
    assert env["OPTLINE_WAREHOUSE_FORMAT"] == "ducklake"
    dsn = _dsn(env["OPTLINE_LAKE_CATALOG"])
    postgres = environment_of(services["postgres"])
    assert dsn["host"] == "postgres" and dsn.get("port", "5432") == "5432"
    assert (dsn["user"], dsn["password"]) == (postgres["POSTGRES_USER"], postgres["POSTGRES_PASSWORD"])
    assert dsn["dbname"] != postgres["POSTGRES_DB"], "the lake's catalog is a database apart from Airflow's"
    init = command_text(services["airflow-init"])
    created = re.search(r"for database in \(([^)]*)\)", init)  # the lake's catalog and the lineage server's
    assert created and f'"{dsn["dbname"]}"' in created.group(1) and "create database {database}" in init
    assert init.index("python -m optline.tasks.settings") < init.index("optline migrate") \
        < init.index("python -m optline.tasks.airflow_check"), "the warehouse schema exists before any task"


def test_every_airflow_service_mounts_the_lake_data_volume_where_the_lake_keeps_its_files(compose_env) -> None:
    from optline.lake import Location

    compose, env = compose_env
    data_path = str(Location(Path(env["OPTLINE_WAREHOUSE"]), "dbname=x").data_path)
    for name, service in compose["services"].items():
        if not name.startswith("airflow-"):
            continue
        mounts = {v["target"]: v for v in volumes_of(service)}
        assert data_path in mounts, f"{name} does not mount the lake's data at {data_path}"
        assert mounts[data_path]["type"] == "volume"
        assert mounts[data_path]["source"] in compose["volumes"]


def test_harness_runs_the_settings_compose_deploys(compose_env) -> None:
    """The scale-out test exercises the stack compose deploys: the same Airflow settings are set
    (to loopback values), the same backend."""
    _, env = compose_env
    mine = {**harness.celery_env("/tmp/x"), **harness.optline_env(Path("/tmp/x"), "ducklake-postgres", "dbname=x")}
    for key in ("AIRFLOW__CORE__EXECUTOR", "OPTLINE_WAREHOUSE_FORMAT"):
        assert mine[key] == env[key]
    shared = {k for k in env if k.startswith(("AIRFLOW__CORE__EXECUTION", "AIRFLOW__CELERY__", "AIRFLOW__DATABASE__",
                                              "AIRFLOW__API_AUTH__", "OPTLINE_LAKE_"))}
    assert shared and shared <= mine.keys()
    assert mine["OPTLINE_LAKE_CATALOG"].startswith("postgres:")


def test_deployment_doc_describes_the_backend_compose_runs(compose_env) -> None:
    _, env = compose_env
    doc = DEPLOYMENT_DOC.read_text(encoding="utf-8")
    lake_db = _dsn(env["OPTLINE_LAKE_CATALOG"])["dbname"]
    for text in ("OPTLINE_WAREHOUSE_FORMAT=ducklake", "OPTLINE_LAKE_CATALOG=postgres:", lake_db,
                 "warehouse-files", "duckdb_writer", "tests/scaleout", "scripts/servers.sh"):
        assert text in doc, f"docs/deployment.md does not mention {text}"
    assert "workers on different hosts are not supported" not in " ".join(doc.lower().split())
    assert "## Workers on several hosts" in doc and "### How to size it" in doc
