"""Migration 142 (sql/schema/142_staging_row_outcomes_region_age): the outcomes carry each row's
region and stated age, and the migration fills them in for batches still before the expectation
gate (the expectations will read them), leaving batches past it as they were."""

from __future__ import annotations

import datetime as dt

from optline import warehouse
from optline.contacts import pipeline
from optline.contacts.batch import load_batch
from optline.runs import RunContext
from tests.helpers import write_csv

RUN = RunContext(as_of=dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC), dag_id="test", run_id="r1")
CARRIED = "select row_number, region, age_years from staging.row_outcomes where batch_id = ? order by row_number"


def test_the_migration_fills_region_and_age_for_checked_batches_only(conn, data_dir):
    checked_rows = [["phone", "age", "opt_in"], ["(415) 555-0101", "30", "2026-10-01"],
                    ["+44 7400 123456", "41", "2026-10-01"], ["555-0100", "", "2026-10-01"]]
    checked = pipeline.stage(conn, write_csv(data_dir / "inbox" / "checked.csv", checked_rows), RUN)
    pipeline.check(conn, load_batch(conn, checked.batch_id), data_dir / "reports")
    merged_rows = [["phone", "age", "opt_in"], ["(415) 555-0102", "50", "2026-10-01"]]
    merged = pipeline.import_file(conn, write_csv(data_dir / "inbox" / "merged.csv", merged_rows), RUN,
                                  data_dir / "reports")
    assert merged.status == "merged"
    merged_id = merged.batch_id
    expected = [(1, "US", 30), (2, "GB", 41), (3, None, None)]  # the last one did not parse
    assert conn.execute(CARRIED, [checked.batch_id]).fetchall() == expected

    # the warehouse as migration 142 finds it: outcomes without the two values
    conn.execute("update staging.row_outcomes set region = null, age_years = null")
    conn.execute("delete from ops.schema_migrations where name like '142\\_%' escape '\\'")
    assert "142_staging_row_outcomes_region_age" in warehouse.migrate(conn)

    assert conn.execute(CARRIED, [checked.batch_id]).fetchall() == expected
    assert conn.execute(CARRIED, [merged_id]).fetchall() == [(1, None, None)]
