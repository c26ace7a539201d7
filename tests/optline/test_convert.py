"""`optline convert-to-lake`: a warehouse that is one DuckDB file, copied into a new lake whole."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from optline import lake, samples, warehouse
from optline.consent import optouts
from optline.contacts import pipeline
from optline.runs import RunContext
from tests.helpers import write_csv

CLOCK = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def file_warehouse(data_dir: Path, monkeypatch) -> Path:
    """A DuckDB-file warehouse with the demo's imports and its opt-out file applied."""
    monkeypatch.setenv("OPTLINE_WAREHOUSE_FORMAT", "duckdb")
    samples.write_samples(data_dir / "inbox", CLOCK.date())
    optouts.write_samples(data_dir / "optouts", CLOCK.date())
    path = data_dir / "warehouse.duckdb"
    with warehouse.connect(path) as conn:
        for name in ("store_events.xlsx", "spring_signups.csv", "uk_keyword_numbers.txt"):
            pipeline.import_file(conn, data_dir / "inbox" / name, RunContext(as_of=CLOCK), data_dir / "reports")
        optouts.apply_inbox(conn, data_dir / "optouts", RunContext(as_of=CLOCK), data_dir / "reports")
    monkeypatch.delenv("OPTLINE_WAREHOUSE_FORMAT")
    return path


def everything(conn, tables) -> dict[str, list[tuple]]:
    return {t: sorted(conn.execute(f"select * from {t}").fetchall(), key=repr) for t in tables}


def test_every_table_reads_the_same_in_the_lake_and_new_ids_follow_the_old(backend, file_warehouse, data_dir):
    if backend == "duckdb":
        pytest.skip("the target is a lake")
    target = data_dir / "warehouse.sqlite"
    copied = warehouse.convert_to_lake(file_warehouse, target)
    assert copied["core.contacts"] > 0 and copied["core.consent_events"] > 0
    with warehouse.connect(file_warehouse, read_only=True) as old:
        before = everything(old, copied)
    with warehouse.connect(target) as new:
        assert lake.of(new) is not None
        assert everything(new, copied) == before
        top = new.execute("select max(contact_id) from core.contacts").fetchone()[0]
        again = pipeline.import_file(new, data_dir / "inbox" / "store_events.xlsx", RunContext(as_of=CLOCK),
                                     data_dir / "reports")
        assert again.status == "already imported", "the lake knows the file's batch: a second import is skipped"
        rows = [["phone", "first_name", "dob", "opt_in_date"], ["(702) 555-0150", "Zed", "1990-01-02", "2026-10-01"]]
        more = write_csv(data_dir / "inbox" / "more.csv", rows, lists=["More"])
        merged = pipeline.import_file(new, more, RunContext(as_of=CLOCK), data_dir / "reports")
        assert (merged.status, merged.new_contacts) == ("merged", 1), merged
        assert new.execute("select min(contact_id) from core.contacts where first_name = 'Zed'").fetchone()[0] > top


def test_a_lake_that_exists_is_never_overwritten(file_warehouse, data_dir):
    target = data_dir / "warehouse.sqlite"
    target.write_bytes(b"")
    with pytest.raises(warehouse.WarehouseError, match="exists already"):
        warehouse.convert_to_lake(file_warehouse, target)


def test_a_lake_is_not_converted_again(file_warehouse, data_dir):
    target = data_dir / "warehouse.sqlite"
    warehouse.convert_to_lake(file_warehouse, target)
    with pytest.raises(warehouse.WarehouseError, match="not a warehouse that is one DuckDB file"):
        warehouse.convert_to_lake(target, data_dir / "other.sqlite")
