"""The adapters' warehouse (`optline.tasks.common.open_warehouse`, through DuckDBHook and the
`optline_warehouse` Airflow connection) when another process holds the file's lock."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# A second, real process holding the warehouse open (read-only is enough: DuckDB's read-only
# lock still keeps every writer out). It says "ready" once it holds the lock.
HOLDER = """
import sys, time, duckdb
conn = duckdb.connect(sys.argv[1], read_only=True)
print("ready", flush=True)
sys.stdin.read()
"""


class Holder:
    """Another, real process holding the warehouse file open until `release()`."""

    def __init__(self, path: Path):
        self.path = path
        self.proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready"
        self.pid = self.proc.pid

    def release(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)


@pytest.fixture
def held_warehouse(data_dir: Path):
    """The project's warehouse file (where AIRFLOW_CONN_OPTLINE_WAREHOUSE points), migrated, then
    held open by another process."""
    from optline import warehouse

    path = data_dir / "warehouse.duckdb"
    warehouse.connect(path).close()
    holder = Holder(path)
    try:
        yield holder
    finally:
        holder.release()


def test_a_busy_warehouse_fails_the_task_with_a_clear_retryable_message(held_warehouse):
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

    from optline.tasks.common import open_warehouse
    from optline.warehouse import WarehouseError

    path, pid = held_warehouse.path, held_warehouse.pid
    with pytest.raises(Exception) as caught, open_warehouse():
        pass
    error, message = caught.value, str(caught.value)
    # A busy warehouse is transient: the task keeps its retries (no AirflowFailException).
    assert isinstance(error, WarehouseError), f"{type(error).__module__}.{type(error).__name__}: {message}"
    assert not isinstance(error, (AirflowFailException, AirflowSkipException))
    assert str(path) in message
    assert f"PID {pid}" in message and "another process" in message
    assert "retr" in message and "duckdb_writer" in message  # what happens next, and what to check
    # DuckDB's own text is not dumped: it tells people to use the DuckDB shell's -readonly flag.
    assert "IO Error" not in message and "-readonly parameter" not in message
    assert isinstance(error.__cause__, Exception)  # the original stays chained for the log's traceback


def test_the_retry_opens_the_warehouse_once_the_other_process_lets_go(held_warehouse):
    from optline.tasks.common import open_warehouse
    from optline.warehouse import WarehouseError

    with pytest.raises(WarehouseError), open_warehouse():
        pass
    held_warehouse.release()
    with open_warehouse() as conn:
        assert conn.execute("select count(*) from ops.schema_migrations").fetchone()[0] > 0
