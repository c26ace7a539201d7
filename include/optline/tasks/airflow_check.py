"""`python -m optline.tasks.airflow_check` (`make airflow-check`): fail, naming each problem, when
Airflow would not run Optline's DAGs as written: a DAG file that does not import, a DAG warning,
or a pool from config/airflow_settings.yaml missing or resized in Airflow's metadata database.

Why a check of our own: Airflow 3.3 records import errors, but a task's missing pool goes
unrecorded. The dag processor parses without the known pools (`_parse_file` in
airflow/dag_processing/processor.py: "TODO: Set known_pool names on DagBag!"), so no
`non-existent pool` DAG warning reaches the UI or /api/v2/dagWarnings, and the scheduler only
logs "Tasks using non-existent pool 'duckdb_writer' will not be scheduled" while the writing
tasks wait for good. So this check parses the DAG folder with Airflow's own machinery the way
the dag processor does, and as it would with the pools given: `DagBag(known_pools=...)` (its
`import_errors`, and its `dag_warnings`: the NONEXISTENT_POOL warning) and each file's
`check_dag_file_stability` (the RUNTIME_VARYING_VALUE warning); it adds the DAG warnings the
dag processor did record for our DAGs of other kinds (an asset conflict). Exit status 1 when
anything is found, 0 otherwise.
"""

from __future__ import annotations

import sys
from pathlib import Path

from optline.tasks import settings

POOLS_FILE = settings.SETTINGS_FILE
"""The pools Optline's DAGs use are in config/airflow_settings.yaml: the Makefile, docker-compose.yml
and the tests apply it (`python -m optline.tasks.settings`) right after `airflow db migrate`."""

CREATE_POOLS = settings.APPLY


def declared_pools(path: Path = POOLS_FILE) -> dict[str, int]:
    """Pool name -> slots, from config/airflow_settings.yaml."""
    return {pool.name: pool.slots for pool in settings.load(path).pools}


def problems(dag_folder: Path | None = None, *, pools_file: Path = POOLS_FILE) -> list[str]:
    """One line per problem Airflow would have with the DAG folder (default: Airflow's
    `[core] dags_folder`) and the pools in its metadata database; [] when there is none."""
    from airflow.configuration import conf
    from airflow.dag_processing.dagbag import DagBag
    from airflow.models.dagwarning import DagWarning, DagWarningType
    from airflow.models.pool import Pool
    from airflow.utils.dag_version_inflation_checker import check_dag_file_stability
    from airflow.utils.session import create_session
    from sqlalchemy import select

    folder = Path(dag_folder or conf.get("core", "dags_folder"))
    found: list[str] = []
    with create_session() as session:
        slots = {pool.pool: pool.slots for pool in Pool.get_pools(session=session)}
        for name, wanted in declared_pools(pools_file).items():
            if name not in slots:
                found.append(f"pool {name!r} does not exist in Airflow's metadata database: the scheduler will "
                             f"never run the tasks that use it. Create it: `{CREATE_POOLS}` (or `make airflow-db`)")
            elif slots[name] != wanted:
                found.append(f"pool {name!r} has {slots[name]} slot(s), {pools_file.name} says {wanted}: "
                             f"`{CREATE_POOLS}` sets it back")
        bag = DagBag(dag_folder=str(folder), known_pools=set(slots))
        for file, error in sorted(bag.import_errors.items()):
            found.append(f"{file}: does not import: {error.strip()}")
        warnings = set(bag.dag_warnings)
        for file in sorted({dag.fileloc for dag in bag.dags.values()}):
            dag_ids = sorted(d.dag_id for d in bag.dags.values() if d.fileloc == file)
            warnings |= {DagWarning(**w) for w in check_dag_file_stability(file).get_formatted_warnings(dag_ids)}
        computed = {DagWarningType.NONEXISTENT_POOL.value, DagWarningType.RUNTIME_VARYING_VALUE.value}
        recorded = session.scalars(select(DagWarning).where(DagWarning.dag_id.in_(bag.dag_ids),
                                                            DagWarning.warning_type.not_in(computed))).all()
        lines = [f"DAG {w.dag_id}: DAG warning ({w.warning_type}): {w.message}" for w in warnings]
        lines += [f"DAG {w.dag_id}: DAG warning ({w.warning_type}, recorded by the dag processor at "
                  f"{w.timestamp:%Y-%m-%d %H:%M} UTC): {w.message}" for w in recorded]
        found += sorted(lines)
    return found


def main() -> int:
    found = problems()
    for line in found:
        print(f"airflow-check: {line}", file=sys.stderr)
    if found:
        print(f"airflow-check: {len(found)} problem(s): Airflow would not run Optline's DAGs as written",
              file=sys.stderr)
        return 1
    print("airflow-check: every DAG imports, no DAG warning, the pools are there")
    return 0


if __name__ == "__main__":
    sys.exit(main())
