"""What a task read and wrote, on its OpenLineage events (apache-airflow-providers-openlineage).

A TaskFlow task (`@task`) has no extractor, and the provider turns the hook lineage collector's
Assets and a task's inlets/outlets into datasets only through a converter registered for the
Asset's scheme, which `duckdb://` has none of: so every event had empty inputs and outputs.
Here an adapter calls `record(step, files=...)` once its work is done, and
`lineage_extractor.TaskFlowExtractor`, registered for `_PythonDecoratedOperator` (`[openlineage]
extractors`), hands those datasets (`optline.lineage`: the Assets' names, column lineage for the
merge, the views a write changes) to the task's COMPLETE event. A task that recorded nothing
falls back to the provider's own search, which finds none. docs/lineage.md has the rest.

One task runs in a process at a time (and `dag.test()` runs them one after the other in one
process), so the record is keyed by the task instance and replaced by the next one's.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from optline import lineage

EXTRACTOR = "optline.tasks.lineage_extractor.TaskFlowExtractor"
"""The value of `[openlineage] extractors` (AIRFLOW__OPENLINEAGE__EXTRACTORS). It lives in a module
of its own: the provider's extractor base imports Airflow's core models (seconds), which a DAG
file importing these adapters must not."""

_recorded: tuple[tuple, list[lineage.Dataset], list[lineage.Dataset] | None] | None = None


def _key(ti: Any) -> tuple:
    return (ti.dag_id, ti.task_id, ti.run_id, getattr(ti, "map_index", -1))


def record(step: lineage.Step, *, files: Iterable[Path] = (), sent_to: str | None = None,
           outputs: bool = True) -> None:
    """What the running task read (`files`, then the step's tables) and wrote (the step's tables
    and the views they change; `sent_to`: a provider). `outputs=False`: the task wrote nothing
    (a file already imported). Outside a task, nothing happens."""
    global _recorded
    from airflow.sdk import get_current_context

    try:
        ti = get_current_context()["ti"]
    except RuntimeError:  # no task is running (an adapter called from a test)
        return
    inputs, written = lineage.datasets(step, files=files, sent_to=sent_to)
    _recorded = (_key(ti), inputs, written if outputs else None)


def recorded(ti: Any) -> tuple[list[lineage.Dataset], list[lineage.Dataset] | None] | None:
    """The datasets `record` kept for this task instance (outputs None: it wrote nothing), if it did."""
    if _recorded is None or _recorded[0] != _key(ti):
        return None
    return _recorded[1], _recorded[2]
