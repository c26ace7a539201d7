"""One small real warehouse for the consent-by-hand, timeline, audience-export and contact-page
tests, built once per test process (session scope) and copied for each test that writes: two
tiny contact files imported through the real pipeline (ANN and BO on Main with the tag vip, CY
on Main and Other), the welcomes queued (msg.outbox), ANN's membership confirmed as active by
SQL-free means (a web confirmation file through the real intake)."""

from __future__ import annotations

import os
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from optline import lake, warehouse
from optline.consent import confirmations
from optline.messaging import outbox
from optline.messaging.settings import load_config
from optline.runs import RunContext
from tests.conftest import AS_OF
from tests.helpers import import_people, person

ANN, BO, CY = "+14155550101", "+14155550102", "+14155550103"


@pytest.fixture(scope="session")
def consent_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The warehouse file (a DuckDB file) of that small site; read it, or `copy_site` it to write."""
    root = tmp_path_factory.mktemp("consent_site")
    conn = warehouse.connect(root / "warehouse.duckdb")
    try:
        import_people(conn, root, "main.csv", [person("(415) 555-0101", "Ann", "Lee", "CA"),
                                               person("(415) 555-0102", "=Bo", "Ray", "CA")],
                      as_of=AS_OF, tags=["vip"])
        import_people(conn, root, "other.csv", [person("(415) 555-0103", "Cy")], as_of=AS_OF,
                      lists=["Main", "Other"])
        outbox.enqueue_welcomes(conn, load_config().welcome, AS_OF)
        confirmed = confirmations.write_samples(root / "confirmations", AS_OF.date(), numbers=[ANN, BO])[0]
        confirmations.apply_file(conn, confirmed, RunContext(as_of=AS_OF, dag_id="test", run_id="r1"),
                                 root / "reports")
    finally:
        conn.close()
    return root / "warehouse.duckdb"


def copy_site(site: Path, data_dir: Path) -> Path:
    """The site's warehouse as this test's own (data_dir's warehouse.duckdb): a DuckDB file copied;
    a lake (OPTLINE_WAREHOUSE_FORMAT=ducklake) as its SQLite catalog and its data folder, the copy's
    catalog pointed at its own folder (`data_path` in `ducklake_metadata`, the DuckLake spec's)."""
    target = data_dir / "warehouse.duckdb"
    source = lake.location(site)
    if source is None:
        shutil.copy(site, target)
        return target
    if source.postgres_dsn:
        pytest.skip("the small site is copied on a SQLite catalog only")
    copied = lake.Location(target.resolve(), None)
    shutil.copytree(source.data_path, copied.data_path)
    with closing(sqlite3.connect(source.path)) as old, closing(sqlite3.connect(copied.path)) as new:
        old.backup(new)
        with new:
            new.execute("update ducklake_metadata set value = ? where key = 'data_path'",
                        [str(copied.data_path) + os.sep])
    return target
