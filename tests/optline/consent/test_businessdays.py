"""Business days between receipt and application of an opt-out: Monday to Friday minus the
configured public holidays (the `holidays` package; US federal by default), in Python and in
the warehouse's macro alike."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from optline import warehouse
from optline.consent.businessdays import (
    CalendarError,
    add_business_days,
    business_days_between,
    calendar,
    over_limit,
    store_calendar,
)

UTC = dt.UTC
moments = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1),
                       timezones=st.just(UTC))


def at(y: int, m: int, d: int, h: int = 12) -> dt.datetime:
    return dt.datetime(y, m, d, h, tzinfo=UTC)


@pytest.mark.parametrize("start,end,expected", [
    (at(2026, 11, 20), at(2026, 11, 23), 1),        # Friday -> Monday
    (at(2026, 11, 23, 1), at(2026, 11, 23, 23), 0),  # same day
    (at(2026, 11, 21), at(2026, 11, 22), 0),        # Saturday -> Sunday
    (at(2026, 11, 16), at(2026, 11, 30), 10),       # Monday -> Monday two weeks later
    (at(2026, 11, 16), at(2026, 12, 1), 11),
])
def test_counts_weekdays_after_the_start_date_up_to_the_end_date(start, end, expected):
    assert business_days_between(start, end, holidays=()) == expected


def test_dates_are_taken_in_the_given_time_zone():
    start, end = dt.datetime(2026, 11, 20, 23, tzinfo=UTC), dt.datetime(2026, 11, 23, 3, tzinfo=UTC)
    new_york = dt.timezone(dt.timedelta(hours=-5))
    assert business_days_between(start, end, holidays=()) == 1
    assert business_days_between(start, end, tz=new_york, holidays=()) == 0  # Fri 18:00 -> Sun 22:00 local
    assert business_days_between(start, end + dt.timedelta(hours=5), tz=new_york, holidays=()) == 1


def test_us_federal_holidays_are_not_business_days_by_default(monkeypatch):
    monkeypatch.delenv("OPTLINE_BUSINESS_HOLIDAYS", raising=False)
    # Thanksgiving (Thu 26 Nov 2026); Independence Day 2026 is a Saturday, observed Friday 3 July
    assert business_days_between(at(2026, 11, 23), at(2026, 11, 27)) == 3
    assert business_days_between(at(2026, 6, 29), at(2026, 7, 6)) == 4
    assert business_days_between(at(2026, 11, 23), at(2026, 11, 27), holidays=()) == 4


def test_the_calendar_is_configurable_and_none_counts_monday_to_friday(monkeypatch):
    monkeypatch.setenv("OPTLINE_BUSINESS_HOLIDAYS", "none")
    assert business_days_between(at(2026, 11, 23), at(2026, 11, 27)) == 4
    monkeypatch.setenv("OPTLINE_BUSINESS_HOLIDAYS", "US-CA")  # Cesar Chavez Day, Tue 31 March 2026
    assert dt.date(2026, 3, 31) in calendar(years=range(2026, 2027))
    assert business_days_between(at(2026, 3, 30), at(2026, 4, 1)) == 1
    monkeypatch.setenv("OPTLINE_BUSINESS_HOLIDAYS", "GB-ENG")  # Boxing Day 2026 is a Saturday: Mon 28 Dec
    assert business_days_between(at(2026, 12, 24), at(2026, 12, 29)) == 1


def test_an_unknown_calendar_is_an_error_that_names_the_variable(monkeypatch):
    monkeypatch.setenv("OPTLINE_BUSINESS_HOLIDAYS", "XX")
    with pytest.raises(CalendarError, match="OPTLINE_BUSINESS_HOLIDAYS='XX'.*none"):
        business_days_between(at(2026, 11, 23), at(2026, 11, 27))


def test_the_tenth_business_day_skips_weekends_and_holidays(monkeypatch):
    monkeypatch.delenv("OPTLINE_BUSINESS_HOLIDAYS", raising=False)
    # received Mon 16 Nov 2026: ten business days, Thanksgiving skipped, end on Tue 1 Dec
    assert add_business_days(at(2026, 11, 16), 10) == dt.date(2026, 12, 1)
    assert add_business_days(at(2026, 11, 16), 10, holidays=()) == dt.date(2026, 11, 30)
    start = at(2026, 11, 16)
    assert business_days_between(start, dt.datetime.combine(add_business_days(start, 10), dt.time(), UTC)) == 10


def test_more_than_ten_business_days_is_over_the_fcc_limit(monkeypatch):
    monkeypatch.delenv("OPTLINE_BUSINESS_HOLIDAYS", raising=False)
    assert not over_limit(at(2026, 11, 16), at(2026, 12, 1))  # Thanksgiving is not counted
    assert over_limit(at(2026, 11, 16), at(2026, 12, 2))


def test_the_warehouse_holds_the_configured_calendar_once(conn, monkeypatch):
    monkeypatch.setenv("OPTLINE_BUSINESS_HOLIDAYS", "US")
    assert store_calendar(conn) is True
    assert store_calendar(conn) is False  # already held: nothing written
    held = warehouse.run(conn, "businessdays/holidays_held").fetchone()
    assert held[0] == "US" and held[1] == len(calendar("US"))
    monkeypatch.setenv("OPTLINE_BUSINESS_HOLIDAYS", "none")
    assert store_calendar(conn) is True
    assert warehouse.run(conn, "businessdays/holidays_held").fetchone() == (None, 0, None)


@pytest.fixture(scope="module")
def us_warehouse(tmp_path_factory):
    """A migrated warehouse file holding the US calendar, for the macro."""
    import os

    os.environ.pop("OPTLINE_BUSINESS_HOLIDAYS", None)
    db = warehouse.connect(tmp_path_factory.mktemp("holidays") / "warehouse.duckdb")
    store_calendar(db)
    yield db
    db.close()


dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(dt.date.today().year + 1, 12, 31))


@given(dates, dates)
def test_the_warehouse_macro_counts_as_python_does(us_warehouse, a, b):
    in_sql = us_warehouse.execute("select ops.business_days_between($a, $b)", {"a": a, "b": b}).fetchone()[0]
    noon = dt.time(12)
    assert in_sql == business_days_between(dt.datetime.combine(a, noon, UTC), dt.datetime.combine(b, noon, UTC),
                                           holidays=calendar("US"))


@given(moments, moments)
def test_swapping_the_moments_negates_the_count(a, b):
    assert business_days_between(a, b) == -business_days_between(b, a)


@given(moments, moments, moments)
def test_counts_add_up_over_consecutive_spans(a, b, c):
    assert business_days_between(a, b) + business_days_between(b, c) == business_days_between(a, c)


@given(moments, st.integers(min_value=0, max_value=500))
def test_whole_weeks_hold_five_business_days_each(a, weeks):
    assert business_days_between(a, a + dt.timedelta(weeks=weeks), holidays=()) == 5 * weeks


@given(moments, st.integers(min_value=0, max_value=3000))
def test_never_more_than_the_calendar_days_and_matches_a_day_by_day_count(a, days):
    b = a + dt.timedelta(days=days)
    expected = sum(1 for n in range(1, days + 1) if (a.date() + dt.timedelta(days=n)).weekday() < 5)
    assert business_days_between(a, b, holidays=()) == expected <= days
