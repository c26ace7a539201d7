"""`python -m optline.tasks.dag_runs`: real DAG runs one after another in ONE process, so that
Airflow starts once (what `optline demo` drives; `airflow dags test` pays ~10-20 s of start-up
per run on a 2-core machine).

Each run is `dag.test()`, as `airflow dags test` does it: a DAG run recorded in Airflow's
metadata database (run type manual), its tasks run in this process, pools and pause ignored.
The DAG comes fresh from its file for every run (a DAG run twice is parsed twice).

Protocol, one JSON object a line: a request on stdin, `{"dag_id": ..., "conf": {...} | null,
"log": "<file>"}`; the reply on stdout, `{"dag_id", "run_id", "state", "error"}` (state
`success`, `failed`, or `error` when no run could be made: then `error` says why). Everything
the run prints or logs goes to the request's log file; what the process prints between runs
goes to its stderr. End of stdin ends the process.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO


@contextmanager
def output_to(log_file: Path) -> Iterator[None]:
    """Send this process's file descriptors 1 and 2 (so print, logging, structlog) to `log_file`."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with log_file.open("ab") as out:
        os.dup2(out.fileno(), 1)
        os.dup2(out.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def dag_files(folder: Path) -> dict[str, str]:
    """DAG id -> the file that defines it, from one parse of the DAG folder."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(folder))
    return {dag_id: dag.fileloc for dag_id, dag in bag.dags.items()}


def run_one(files: dict[str, str], dag_id: str, conf: dict[str, Any] | None) -> dict[str, Any]:
    """One `dag.test()` run of `dag_id` with `conf`; its reply (see the module docstring)."""
    from airflow.dag_processing.dagbag import DagBag

    if dag_id not in files:
        return {"dag_id": dag_id, "run_id": None, "state": "error",
                "error": f"no DAG {dag_id!r} in the DAG folder (known: {', '.join(sorted(files))})"}
    bag = DagBag(dag_folder=files[dag_id])
    dag = bag.dags.get(dag_id)
    if dag is None:
        return {"dag_id": dag_id, "run_id": None, "state": "error",
                "error": f"{files[dag_id]} no longer defines {dag_id!r}: {bag.import_errors or 'no import error'}"}
    try:
        run = dag.test(run_conf=conf)
    except Exception as exc:  # the run's log gets the traceback, the reply its one line
        traceback.print_exc()
        return {"dag_id": dag_id, "run_id": None, "state": "error", "error": f"{type(exc).__name__}: {exc}"}
    return {"dag_id": dag_id, "run_id": run.run_id, "state": str(getattr(run.state, "value", run.state)),
            "error": None}


def serve(requests: TextIO, replies: TextIO) -> None:
    """Answer each request line with its run's reply line, until `requests` ends."""
    from airflow.configuration import conf

    files = dag_files(Path(conf.get("core", "dags_folder")))
    for line in requests:
        if not line.strip():
            continue
        request = json.loads(line)
        log_file = Path(request["log"])
        log_file.parent.mkdir(parents=True, exist_ok=True)
        with output_to(log_file):
            reply = run_one(files, request["dag_id"], request.get("conf"))
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


def main() -> int:
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")  # the reply channel: the real stdout
    os.dup2(2, 1)  # anything else printed between runs goes with stderr
    serve(sys.stdin, replies)
    return 0


if __name__ == "__main__":
    sys.exit(main())
