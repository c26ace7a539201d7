"""The datasets a suite reads: one named query per `quality` view, which the GX runner filters
to one batch, and which shows every column an expectation names."""

from __future__ import annotations

import pytest

from optline.quality import suites
from optline.quality.gx_duckdb import batch_query

SUITES = ("contact_list", "opt_out_file", "inbound_messages")
COLUMN_KWARGS = ("column", "column_A", "column_B")


def named_columns(dataset: str) -> set[str]:
    """Every column the expectations of every suite name on `dataset`."""
    columns: set[str] = set()
    for name in SUITES:
        for exp in suites.load_suite(name)["expectations"]:
            if exp["meta"]["dataset"] == dataset:
                kwargs = exp["kwargs"]
                columns |= {kwargs[k] for k in COLUMN_KWARGS if k in kwargs} | set(kwargs.get("column_list", []))
    return columns


@pytest.mark.parametrize("dataset", list(suites.DATASETS))
def test_each_dataset_query_runs_for_one_batch_and_shows_the_columns_its_expectations_name(conn, dataset):
    query = batch_query(suites.dataset_query(dataset), batch_id=1)
    columns = {d[0] for d in conn.sql(query).description}
    assert "batch_id" in columns
    assert named_columns(dataset) <= columns


def test_every_dataset_is_read_by_a_suite():
    read = {exp["meta"]["dataset"] for name in SUITES for exp in suites.load_suite(name)["expectations"]}
    assert read == set(suites.DATASETS)


def test_an_unknown_dataset_names_the_known_ones():
    with pytest.raises(suites.SuiteError, match="unknown dataset 'rows'.*accepted_rows"):
        suites.dataset_query("rows")
