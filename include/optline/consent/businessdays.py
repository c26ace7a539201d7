"""Business days between two moments, for the FCC's "honor an opt-out within 10 business days".

A business day is a Monday to Friday. US federal holidays are NOT excluded by default (the
count can only be too high, never too low, so a flag is never missed); pass `holidays` to
exclude dates. Days are calendar dates in `tz` (UTC by default).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

FCC_OPT_OUT_LIMIT = 10  # business days to honor a revocation (47 CFR 64.1200(a)(10), in force 2025-04-11)
_WEEKDAYS = 5


def _weekdays_up_to(day: dt.date) -> int:
    """Mon-Fri dates from date(1, 1, 1), a Monday, up to and including `day`."""
    weeks, rest = divmod(day.toordinal(), 7)
    return weeks * _WEEKDAYS + min(rest, _WEEKDAYS)


def business_days_between(start: dt.datetime, end: dt.datetime, *, tz: dt.tzinfo = dt.UTC,
                          holidays: Collection[dt.date] = ()) -> int:
    """Mon-Fri dates after `start`'s date up to and including `end`'s date (in `tz`), minus `holidays`.

    Received Friday, applied Monday: 1. Same day: 0. Negative when `end` is before `start`.
    Naive datetimes are read as UTC.
    """
    first, last = (_date_in(start, tz), _date_in(end, tz))
    if last < first:
        return -business_days_between(end, start, tz=tz, holidays=holidays)
    count = _weekdays_up_to(last) - _weekdays_up_to(first)
    skipped = sum(1 for h in set(holidays) if first < h <= last and h.weekday() < _WEEKDAYS)
    return count - skipped


def _date_in(moment: dt.datetime, tz: dt.tzinfo) -> dt.date:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(tz).date()


def over_limit(received_at: dt.datetime, applied_at: dt.datetime, limit: int = FCC_OPT_OUT_LIMIT) -> bool:
    """Whether an opt-out was applied more than `limit` business days after it was received."""
    return business_days_between(received_at, applied_at) > limit
