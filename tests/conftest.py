"""Shared fixtures. Airflow's environment is set here, before any test imports Airflow:
a throwaway AIRFLOW_HOME with a SQLite metadata database, the project's dags/ and plugins/."""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="optline-airflow-"))
os.environ.update({
    "AIRFLOW_HOME": str(_AIRFLOW_HOME),
    "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT / "dags"),
    "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT / "plugins"),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
    # A throwaway key for the tests' number HMACs (a deployment's key comes from its configuration).
    "OPTLINE_HMAC_KEY": "test-key-" + "0123456789abcdef" * 4,
    # Lineage on, as in the Makefile: every DAG run's OpenLineage events appended to one file per
    # test process (tests/dags/test_lineage.py reads it). Emitted in a thread, not a fork of the
    # test process (~0.15 s an event); deployments keep the provider's default.
    "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps({"type": "file", "append": True,
                                                   "log_file_path": str(_AIRFLOW_HOME / "lineage" / "events.jsonl")}),
    "AIRFLOW__OPENLINEAGE__EXTRACTORS": "optline.tasks.lineage_extractor.TaskFlowExtractor",
    "AIRFLOW__OPENLINEAGE__NAMESPACE": "optline",
    "AIRFLOW__OPENLINEAGE__EXECUTE_IN_THREAD": "True",
})
(_AIRFLOW_HOME / "lineage").mkdir()
LINEAGE_EVENTS = _AIRFLOW_HOME / "lineage" / "events.jsonl"

# The bulk of the suite runs on a DuckDB file: a lake answers each statement in ~5-20 ms where
# the file takes ~0.2 ms, and many tests run thousands of them. The guarantees (once-only,
# uniqueness, all-or-nothing, writers racing) run on every backend through the `backend`
# fixture, and `OPTLINE_WAREHOUSE_FORMAT=ducklake make test` runs all of it on a lake.
os.environ.setdefault("OPTLINE_WAREHOUSE_FORMAT", "duckdb")

AS_OF = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)

BACKENDS = ("duckdb", "ducklake_sqlite", "ducklake_postgres")
"""What `backend` runs a test on: one DuckDB file; a DuckLake with its catalog in SQLite (the
embedded default); a DuckLake with its catalog in PostgreSQL (Celery workers on several hosts)."""
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
# each pytest worker's throw-away servers, below the ephemeral range (32768-60999): a client
# socket of a parallel test never holds one (a fixed port inside it was once taken so)
PG_PORT, PG_REDIS_PORT = 25441 + _WORKER, 26391 + _WORKER


def _test_policy_dir() -> Path:
    """The tests' policy folder: the shipped policies, but `default` explicitly allows what the
    tests do on purpose: a fixed clock (the DAGs' `as_of` param at AS_OF) and `policy_overrides`
    that open the gate or switch rules off (tests.helpers.OPEN_GATE). Tests of the refusals
    point OPTLINE_POLICY_DIR at the shipped folder (or a copy of it)."""
    import shutil

    import yaml

    folder = Path(tempfile.mkdtemp(prefix="optline-policies-"))
    shutil.copytree(PROJECT / "expectations" / "policies", folder, dirs_exist_ok=True)
    default = yaml.safe_load((folder / "default.yaml").read_text(encoding="utf-8"))
    default["allow_clock_override"] = True
    default["allow_loosening"] = ["us_ca_only", "require_opt_in", "require_age_or_dob", "min_age", "require_full_dob",
                                  "recency_months", "recency_action", "reject_number_types", "field_limits", "gate"]
    (folder / "default.yaml").write_text(yaml.safe_dump(default, sort_keys=False), encoding="utf-8")
    return folder


os.environ["OPTLINE_POLICY_DIR"] = str(_test_policy_dir())


@pytest.fixture(scope="session", autouse=True)
def lineage_pool_stopped():
    """At the end of the session, stop the process pool the OpenLineage listener starts for a DAG
    run's events (as a scheduler does when it stops): an xdist worker ends without running the
    exit hooks that would, and the pool's process then outlives it, holding its output open."""
    import sys

    yield
    listener = sys.modules.get("airflow.providers.openlineage.plugins.listener")
    if listener is not None:
        listener.get_openlineage_listener().before_stopping(None)


@pytest.fixture
def as_of() -> dt.datetime:
    """The fixed clock every rule test runs at."""
    return AS_OF


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty OPTLINE_DATA_DIR (inbox, warehouse, reports) for one test."""
    root = tmp_path / "data"
    (root / "inbox").mkdir(parents=True)
    for var in ("OPTLINE_INBOX", "OPTLINE_REPORTS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("OPTLINE_DATA_DIR", str(root))
    # One name on every backend (a lake's catalog is then a SQLite file named warehouse.duckdb),
    # for this process and the ones it starts.
    monkeypatch.setenv("OPTLINE_WAREHOUSE", str(root / "warehouse.duckdb"))
    monkeypatch.setenv("AIRFLOW_CONN_OPTLINE_WAREHOUSE",
                       f'{{"conn_type": "duckdb", "host": "{root / "warehouse.duckdb"}"}}')
    return root


@pytest.fixture(scope="session")
def migrated_warehouse_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DuckDB warehouse file migrated once per test process (closed: checkpointed, no WAL), for
    `conn` to copy: a copy opens in ~0.05 s, a new file's migrations take ~0.2 s, for each of
    several hundred tests. `warehouse.connect` still runs on the copy (and migrates what changed
    since, if an SQL file did)."""
    from optline import warehouse

    path = tmp_path_factory.mktemp("migrated-warehouse") / "warehouse.duckdb"
    warehouse.connect(path).close()
    return path


@pytest.fixture
def conn(data_dir: Path, request: pytest.FixtureRequest):
    """A real, migrated warehouse in the test's data dir: a DuckDB file (a copy of
    `migrated_warehouse_file`), or a lake when the test's `backend` says so."""
    import shutil

    from optline import lake, warehouse

    target = data_dir / "warehouse.duckdb"
    if lake.location(target) is None:  # a DuckDB file is what connect would make here
        shutil.copyfile(request.getfixturevalue("migrated_warehouse_file"), target)
    connection = warehouse.connect(target)
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """Airflow's metadata database, migrated once per test session."""
    import subprocess
    import sys

    airflow = Path(sys.executable).with_name("airflow")
    done = subprocess.run([str(airflow), "db", "migrate"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    # The pools (and connections), as `make airflow-db` and compose's airflow-init apply them from
    # config/airflow_settings.yaml; no connection from the caller's environment (env={}).
    from optline.tasks import settings

    settings.apply(env={})
    from tests.helpers import copy_sqlite

    copy_sqlite(_AIRFLOW_HOME / "airflow.db", AIRFLOW_DB_MIGRATED)
    return _AIRFLOW_HOME


AIRFLOW_DB_MIGRATED = _AIRFLOW_HOME / "airflow-migrated.db"
"""A copy of `airflow_db` as migrated, before any test ran a DAG in it: for a process that needs a
metadata database of its own (tests/scaleout's embedded run) without `airflow db migrate` (~10 s)."""


@pytest.fixture(scope="session")
def postgres_dsn(tmp_path_factory) -> str:
    """A throw-away PostgreSQL on loopback for the whole session (scripts/servers.sh: the Debian
    package, installed if missing). Each lake on it has its own metadata schema."""
    import subprocess

    folder = tmp_path_factory.mktemp("servers")
    env = {**os.environ, "PGPORT": str(PG_PORT), "REDIS_PORT": str(PG_REDIS_PORT)}
    script = str(PROJECT / "scripts" / "servers.sh")
    started = subprocess.run([script, "start", str(folder)], env=env, capture_output=True, text=True, check=False)
    if started.returncode == 3:
        pytest.skip(f"PostgreSQL is not installed and cannot be here: {started.stderr.strip()}")
    assert started.returncode == 0, started.stdout + started.stderr
    yield f"host=127.0.0.1 port={PG_PORT} user=postgres dbname=postgres"
    subprocess.run([script, "stop", str(folder)], env=env, capture_output=True, check=False)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test on each backend (`BACKENDS`): sets OPTLINE_WAREHOUSE_FORMAT and
    OPTLINE_LAKE_CATALOG for it and for the processes it starts. Request it before `conn`."""
    name = request.param
    monkeypatch.setenv("OPTLINE_WAREHOUSE_FORMAT", "duckdb" if name == "duckdb" else "ducklake")
    if name == "ducklake_postgres":
        monkeypatch.setenv("OPTLINE_LAKE_CATALOG", "postgres:" + request.getfixturevalue("postgres_dsn"))
    else:
        monkeypatch.delenv("OPTLINE_LAKE_CATALOG", raising=False)
    return name


# The longest test files first (each takes 0.5-3.5 min), so that pytest-xdist's `--dist loadfile`
# starts them on both workers early instead of leaving one worker alone with one at the end
# (seen: ~2 min with the other worker idle). The rest keep their order. The Makefile passes
# --no-loadscope-reorder: by default xdist orders files by their number of tests, which put
# these (one to a few tests each) last.
SLOW_FIRST = (
    "tests/scaleout/test_celery_scaleout.py",
    "tests/optline/test_phones_differential.py",
    "tests/dags/test_rest_trigger.py",
    "tests/dags/test_contact_import_kills.py",
    "tests/optline/contacts/test_deletion.py",
    "tests/optline/contacts/test_import_kills.py",
    "tests/dags/test_review_gate.py",
    "tests/optline/test_backends.py",
    "tests/optline/messaging/test_dispatch_crash.py",
    "tests/dags/test_lineage.py",
    "tests/optline/consent/test_ledger_properties.py",
    "tests/dags/test_analyst_sessions.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {path: n for n, path in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))
