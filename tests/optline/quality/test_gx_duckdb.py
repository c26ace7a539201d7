"""GX expectations run inside a real DuckDB warehouse file: verdicts, counts, no row values."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa

from optline import warehouse
from optline.quality import gx_duckdb
from optline.quality.gx_duckdb import ExpectationOutcome, batch_query, validate

E164 = r"^\+[1-9][0-9]{6,14}$"
ROWS = 40  # rows in batch 3; batch 4 holds other rows that must not be seen
BAD_PHONES = {1: "07700900111", 2: "5550142"}  # row_number -> a number not in E.164 form
NULL_FIRST_NAMES = (5, 6, 7)


def phone(row_number: int) -> str:
    return f"+1415555{row_number:04d}"


@pytest.fixture
def wh(tmp_path: Path) -> Path:
    """A migrated warehouse: batch 3 is clean, batch 4 is bad (and larger)."""
    path = tmp_path / "warehouse.duckdb"
    conn = warehouse.connect(path)
    rows = [(3, n, phone(n), "Ada", "Lovelace") for n in range(1, ROWS + 1)]
    rows += [(4, n, BAD_PHONES.get(n, phone(500 + n)), None if n in NULL_FIRST_NAMES else "Grace", "Hopper")
             for n in range(1, ROWS + 11)]
    conn.executemany(
        "insert into staging.row_outcomes (batch_id, row_number, accepted, reasons, warnings, e164, "
        "first_name, last_name) values (?, ?, true, [], [], ?, ?, ?)", rows)
    conn.close()
    return path


def suite(*expectations: dict) -> dict:
    return {"name": "contacts", "expectations": list(expectations)}


def exp(type_: str, **kwargs) -> dict:
    return {"type": type_, "kwargs": kwargs, "meta": {"severity": "critical"}}


EIGHT = suite(
    exp("expect_column_values_to_not_be_null", column="e164"),
    exp("expect_column_values_to_not_be_null", column="first_name"),
    exp("expect_column_values_to_match_regex", column="e164", regex=E164),
    exp("expect_column_value_lengths_to_be_between", column="e164", min_value=8, max_value=16),
    exp("expect_column_values_to_be_between", column="row_number", min_value=1, max_value=ROWS),
    exp("expect_compound_columns_to_be_unique", column_list=["batch_id", "row_number"]),
    exp("expect_column_values_to_be_in_set", column="batch_id", value_set=[3]),
    exp("expect_table_row_count_to_be_between", min_value=1, max_value=ROWS),
)


def by_type(outcomes: list[ExpectationOutcome], type_: str, column: str | None = None) -> ExpectationOutcome:
    return next(o for o in outcomes
                if o.expectation_type == type_ and (column is None or o.column_name == column))


def test_a_passing_suite_passes(wh: Path) -> None:
    outcomes = validate(wh, "staging.row_outcomes", EIGHT, batch_id=3)

    assert [o.expectation_type for o in outcomes] == [e["type"] for e in EIGHT["expectations"]]
    assert all(o.success and o.error is None for o in outcomes), [o for o in outcomes if not o.success]
    assert by_type(outcomes, "expect_column_values_to_match_regex").element_count == ROWS
    assert by_type(outcomes, "expect_table_row_count_to_be_between").observed_value == ROWS
    regex = by_type(outcomes, "expect_column_values_to_match_regex")
    assert regex.kwargs == {"column": "e164", "regex": E164}  # as written, not the search form
    assert outcomes[0].severity == "critical"


def test_a_failing_expectation_reports_its_unexpected_count(wh: Path) -> None:
    outcomes = validate(wh, "staging.row_outcomes", EIGHT, batch_id=4)

    regex = by_type(outcomes, "expect_column_values_to_match_regex")
    assert (regex.success, regex.element_count, regex.unexpected_count) == (False, ROWS + 10, len(BAD_PHONES))
    assert regex.unexpected_percent == pytest.approx(100 * len(BAD_PHONES) / (ROWS + 10))
    names = by_type(outcomes, "expect_column_values_to_not_be_null", "first_name")
    assert (names.success, names.unexpected_count) == (False, len(NULL_FIRST_NAMES))
    lengths = by_type(outcomes, "expect_column_value_lengths_to_be_between")
    assert (lengths.success, lengths.unexpected_count) == (False, 1)  # "5550142" is 7 long
    assert by_type(outcomes, "expect_column_values_to_be_in_set").unexpected_count == ROWS + 10
    assert by_type(outcomes, "expect_table_row_count_to_be_between").success is False


def test_compound_uniqueness_is_checked_in_sql_on_a_query(wh: Path) -> None:
    doubled = ("select * from staging.row_outcomes union all "
               "select * from staging.row_outcomes where row_number in (2, 9)")
    [unique] = validate(wh, doubled, suite(EIGHT["expectations"][5]), batch_id=3)

    assert (unique.success, unique.element_count, unique.unexpected_count) == (False, ROWS + 2, 4)


def test_the_result_holds_no_row_values(wh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw: list[dict] = []  # what GX itself returned, before the outcomes copy counts out of it
    outcome = gx_duckdb._outcome
    monkeypatch.setattr(gx_duckdb, "_outcome", lambda result, config: (
        raw.append(result.to_json_dict()), outcome(result, config))[1])
    leaky = suite(
        exp("expect_column_values_to_match_regex", column="e164", regex=E164),
        exp("expect_column_values_to_be_in_set", column="e164", value_set=["+10000000000"]),
        exp("expect_column_value_lengths_to_be_between", column="e164", min_value=10,
            result_format="COMPLETE"),  # asks for every value: ignored
        exp("expect_column_values_to_be_unique", column="first_name"),
        exp("expect_column_values_to_not_be_null", column="first_name"),
        exp("expect_column_most_common_value_to_be_in_set", column="last_name", value_set=["x"]),
        exp("expect_column_distinct_values_to_be_in_set", column="e164", value_set=["+10000000000"]),
    )
    outcomes = validate(wh, "staging.row_outcomes", leaky, batch_id=4)
    # A DuckDB error quotes the value it could not convert.
    [cast] = validate(wh, "select *, ('x' || e164)::bigint as n from staging.row_outcomes",
                      suite(exp("expect_column_values_to_not_be_null", column="n")), batch_id=4)

    assert not any(o.success for o in outcomes)
    assert by_type(outcomes, "expect_column_values_to_match_regex").unexpected_count == len(BAD_PHONES)
    assert by_type(outcomes, "expect_column_value_lengths_to_be_between").unexpected_count == 1
    assert by_type(outcomes, "expect_column_most_common_value_to_be_in_set").observed_value_withheld
    assert cast.error and "Conversion Error" in cast.error
    values = [*BAD_PHONES.values(), *(phone(500 + n) for n in range(1, ROWS + 11)), "Grace", "Hopper"]
    text = json.dumps([o.to_dict() for o in [*outcomes, cast]], default=str)
    assert not [v for v in values if v in text]
    # GX itself was asked for no unexpected values (RESULT_FORMAT): its map-expectation results
    # hold counts only. (Its aggregate observed values and error messages can hold values:
    # the outcomes above withhold and mask those.)
    map_results = json.dumps([r["result"] for r in raw if "element_count" in r["result"]], default=str)
    assert len(raw) == len(leaky["expectations"]) + 1 and map_results.count("element_count") == 5
    assert "unexpected_list" not in map_results and not [v for v in values if v in map_results]


def test_the_query_asset_sees_one_batch_only(wh: Path) -> None:
    check = suite(exp("expect_table_row_count_to_be_between", min_value=0),
                  exp("expect_column_values_to_be_in_set", column="batch_id", value_set=[4]))

    three = validate(wh, "staging.row_outcomes", check, batch_id=3)
    four = validate(wh, "staging.row_outcomes", check, batch_id=4, where="first_name is not null")

    assert three[0].observed_value == ROWS
    assert (three[1].success, three[1].unexpected_count) == (False, ROWS)
    assert four[0].observed_value == ROWS + 10 - len(NULL_FIRST_NAMES)
    assert four[1].success


def test_regexes_search_as_gx_documents_not_full_match(wh: Path) -> None:
    [unanchored] = validate(wh, "staging.row_outcomes",
                            suite(exp("expect_column_values_to_match_regex", column="e164", regex="555")),
                            batch_id=3)
    assert unanchored.success and unanchored.unexpected_count == 0  # DuckDB's `~` alone: 40 failures


def test_parameters_fill_the_suite(wh: Path) -> None:
    [between] = validate(
        wh, "staging.row_outcomes",
        suite(exp("expect_column_values_to_be_between", column="row_number",
                  max_value={"$PARAMETER": "top"})),
        batch_id=3, parameters={"top": 10})
    assert (between.success, between.unexpected_count, between.kwargs["max_value"]) == (False, ROWS - 10, 10)


def test_read_only_and_the_file_is_released(wh: Path) -> None:
    outcomes = validate(wh, "staging.row_outcomes", suite(EIGHT["expectations"][0]), batch_id=3)
    assert outcomes[0].success

    writer = duckdb.connect(str(wh))  # fails if the validator still held the file
    writer.execute("delete from staging.row_outcomes where batch_id = 4")
    writer.close()


def test_an_open_connection_is_used_and_left_open(wh: Path) -> None:
    conn = warehouse.connect(wh)
    [row_count] = validate(conn, "staging.row_outcomes", suite(EIGHT["expectations"][7]), batch_id=3)
    assert row_count.observed_value == ROWS
    assert conn.execute("select count(*) from staging.row_outcomes").fetchone() == (2 * ROWS + 10,)
    conn.close()


def test_an_invalid_expectation_is_an_error_not_dropped(wh: Path) -> None:
    with pytest.raises(ValueError, match="expectation 2"):
        validate(wh, "staging.row_outcomes",
                 suite(EIGHT["expectations"][0], exp("expect_column_values_to_not_be_null")), batch_id=3)


def test_batch_query() -> None:
    assert batch_query("staging.row_outcomes", batch_id=3) == \
        'select * from "staging"."row_outcomes" where batch_id = 3'
    assert batch_query("select 1 as batch_id;", where="batch_id > 0") == \
        "select * from (select 1 as batch_id) as batch_source where (batch_id > 0)"
    with pytest.raises(TypeError):
        batch_query("t", batch_id="3 or 1=1")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        batch_query("t; drop table t")


def test_the_root_cause_and_the_fix_at_the_sqlalchemy_level(wh: Path) -> None:
    """What GX's execute_query does: read a result after its connection was closed.

    If the first assertion starts failing, duckdb-engine or DuckDB changed and the `creator`
    in optline.gx_duckdb may no longer be needed.
    """
    query = sa.text("select count(*) from staging.row_outcomes")
    plain = sa.create_engine(f"duckdb:///{wh}", connect_args={"read_only": True})
    with plain.connect() as connection:
        result = connection.execute(query)
    assert result.fetchall() == []  # duckdb-engine: the close's rollback discarded it (GX #11579)
    plain.dispose()

    with gx_duckdb._cursor_factory(wh, read_only=True) as (creator, _):
        fixed = sa.create_engine("duckdb://", creator=creator, poolclass=sa.pool.StaticPool)
        with fixed.connect() as connection:
            result = connection.execute(query)
        assert result.fetchall() == [(2 * ROWS + 10,)]
        fixed.dispose()
