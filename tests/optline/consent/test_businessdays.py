"""Business days between receipt and application of an opt-out (Mon-Fri, holidays optional)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from optline.consent.businessdays import business_days_between, over_limit

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
    assert business_days_between(start, end) == expected


def test_dates_are_taken_in_the_given_time_zone():
    start, end = dt.datetime(2026, 11, 20, 23, tzinfo=UTC), dt.datetime(2026, 11, 23, 3, tzinfo=UTC)
    new_york = dt.timezone(dt.timedelta(hours=-5))
    assert business_days_between(start, end) == 1
    assert business_days_between(start, end, tz=new_york) == 0  # Fri 18:00 -> Sun 22:00 local: Monday not reached
    assert business_days_between(start, end + dt.timedelta(hours=5), tz=new_york) == 1


def test_given_holidays_are_not_business_days_but_by_default_none_are_excluded():
    thanksgiving = dt.date(2026, 11, 26)
    assert business_days_between(at(2026, 11, 23), at(2026, 11, 27)) == 4
    assert business_days_between(at(2026, 11, 23), at(2026, 11, 27), holidays=[thanksgiving]) == 3


def test_more_than_ten_business_days_is_over_the_fcc_limit():
    assert not over_limit(at(2026, 11, 16), at(2026, 11, 30))
    assert over_limit(at(2026, 11, 16), at(2026, 12, 1))


@given(moments, moments)
def test_swapping_the_moments_negates_the_count(a, b):
    assert business_days_between(a, b) == -business_days_between(b, a)


@given(moments, moments, moments)
def test_counts_add_up_over_consecutive_spans(a, b, c):
    assert business_days_between(a, b) + business_days_between(b, c) == business_days_between(a, c)


@given(moments, st.integers(min_value=0, max_value=500))
def test_whole_weeks_hold_five_business_days_each(a, weeks):
    assert business_days_between(a, a + dt.timedelta(weeks=weeks)) == 5 * weeks


@given(moments, st.integers(min_value=0, max_value=3000))
def test_never_more_than_the_calendar_days_and_matches_a_day_by_day_count(a, days):
    b = a + dt.timedelta(days=days)
    expected = sum(1 for n in range(1, days + 1) if (a.date() + dt.timedelta(days=n)).weekday() < 5)
    assert business_days_between(a, b) == expected <= days
