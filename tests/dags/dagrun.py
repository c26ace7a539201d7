"""Loading a project DAG file fresh and reading a dag.test() run's task states, for DAG tests."""

from __future__ import annotations

import importlib.util

from tests.conftest import PROJECT


def load_dag(name: str):
    """Execute dags/<name>.py as its own module and return the DAG its factory builds."""
    spec = importlib.util.spec_from_file_location(f"{name}_under_test", PROJECT / "dags" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)()


def task_states(dag_run) -> dict[str, list[str]]:
    """task id -> the states of its (mapped) instances, by map index."""
    from airflow.utils.session import create_session

    with create_session() as session:
        states: dict[str, list[str]] = {}
        for ti in sorted(dag_run.get_task_instances(session=session), key=lambda t: (t.task_id, t.map_index)):
            states.setdefault(ti.task_id, []).append(str(ti.state))
    return states
