"""`optline.tasks.airflow_check` (`make airflow-check`) against the test session's real Airflow
metadata database: a missing or resized `duckdb_writer` pool and a DAG file that does not import
fail the check, by name; with the pools applied from config/airflow_settings.yaml (as the Makefile
and docker-compose.yml do) the project's DAG folder passes."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from tests.conftest import PROJECT

DAGS = PROJECT / "dags"
SETTINGS_FILE = PROJECT / "config" / "airflow_settings.yaml"


@pytest.fixture
def pools(airflow_db):
    """The metadata database's pools, put back as they were after the test."""
    from airflow.models.pool import Pool

    before = {p.pool: (p.slots, p.description, p.include_deferred) for p in Pool.get_pools()}
    yield Pool
    for pool in Pool.get_pools():
        if pool.pool not in before:
            Pool.delete_pool(pool.pool)
    for name, (slots, description, deferred) in before.items():
        Pool.create_or_update_pool(name, slots, description or "", deferred)


def writing_dags() -> set[str]:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS))
    return {dag.dag_id for dag in bag.dags.values() if any(t.pool == "duckdb_writer" for t in dag.tasks)}


def test_the_settings_file_declares_the_one_slot_writer_pool():
    from optline.tasks import settings

    pools = {pool.name: pool for pool in settings.load(SETTINGS_FILE).pools}
    assert pools["duckdb_writer"].slots == 1
    assert pools["duckdb_writer"].description  # Airflow refuses a pool without one


def test_a_missing_writer_pool_fails_the_check_naming_the_pool_and_every_dag_that_uses_it(pools, capsys):
    from optline.tasks import airflow_check

    if pools.get_pool("duckdb_writer") is not None:
        pools.delete_pool("duckdb_writer")
    found = airflow_check.problems(DAGS)
    assert any(line.startswith("pool 'duckdb_writer' does not exist") and "python -m optline.tasks.settings" in line
               for line in found), found
    warned = {line.split()[1].rstrip(":") for line in found if "non-existent pool" in line}
    assert warned == writing_dags() and warned, found
    assert all("duckdb_writer" in line for line in found if "non-existent pool" in line)
    assert airflow_check.main() == 1
    assert "duckdb_writer" in capsys.readouterr().err


def test_with_the_pools_applied_from_the_settings_file_the_dag_folder_passes(pools):
    from optline.tasks import airflow_check

    if pools.get_pool("duckdb_writer") is not None:
        pools.delete_pool("duckdb_writer")
    # the command the Makefile and compose run
    done = subprocess.run([sys.executable, "-m", "optline.tasks.settings"], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert pools.get_pool("duckdb_writer").slots == 1
    assert airflow_check.problems(DAGS) == []


def test_a_writer_pool_with_more_than_one_slot_fails_the_check(pools):
    from optline.tasks import airflow_check

    pools.create_or_update_pool("duckdb_writer", 4, "resized by hand", False)
    found = airflow_check.problems(DAGS)
    assert found == ["pool 'duckdb_writer' has 4 slot(s), airflow_settings.yaml says 1: "
                     "`python -m optline.tasks.settings` sets it back"]


def test_a_dag_file_that_does_not_import_fails_the_check_naming_the_file(pools, tmp_path):
    from optline.tasks import airflow_check

    pools.create_or_update_pool("duckdb_writer", 1, "one writer", False)
    (tmp_path / "broken.py").write_text(textwrap.dedent("""
        from airflow.sdk import dag
        import optline.no_such_module
        """), encoding="utf-8")
    found = airflow_check.problems(tmp_path)
    assert len(found) == 1 and found[0].startswith(f"{tmp_path / 'broken.py'}: does not import:"), found
    assert "optline.no_such_module" in found[0]


def test_airflows_own_dag_processor_records_no_warning_for_the_missing_pool(pools):
    """Why the check parses for itself: Airflow 3.3's dag processor, given a DAG file whose tasks
    use a pool that does not exist, returns no `non-existent pool` warning to record (it never
    passes the known pools to its DagBag). If this fails, Airflow records the warning now: the
    check could read /api/v2/dagWarnings instead."""
    import structlog
    from airflow.dag_processing.processor import DagFileParseRequest, _parse_file

    if pools.get_pool("duckdb_writer") is not None:
        pools.delete_pool("duckdb_writer")
    request = DagFileParseRequest(file=str(DAGS / "contact_import.py"), bundle_path=DAGS, bundle_name="dags-folder")
    result = _parse_file(request, structlog.get_logger())
    assert [d.dag_id for d in result.serialized_dags] == ["contact_import"] and not result.import_errors
    assert not any(w["warning_type"] == "non-existent pool" for w in result.warnings or [])
