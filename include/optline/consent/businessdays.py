"""Business days between two moments, for the FCC's "honor an opt-out within 10 business days".

A business day is a Monday to Friday that is not a public holiday of the configured calendar
(`OPTLINE_BUSINESS_HOLIDAYS`: US federal holidays by default, observed dates included, as the
`holidays` package lists them; `US-CA` adds a state's, `none` counts Monday to Friday only).
Pass `holidays=` to count with other dates (an empty collection: none excluded). Days are
calendar dates in `tz` (UTC by default).

The warehouse counts the same way: `store_calendar(conn)` writes the configured calendar's dates
into `ops.business_holidays` (years 2000 to next year), which the macro
`ops.business_days_between` subtracts, so the views (`quality.inbound_outcomes`,
`marts.possible_revocations`) and this module agree.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Collection

import duckdb
import holidays as holiday_calendars

from optline import config, warehouse

FCC_OPT_OUT_LIMIT = 10  # business days to honor a revocation (47 CFR 64.1200(a)(10), in force 2025-04-11)
_WEEKDAYS = 5
FIRST_YEAR = 2000  # the warehouse's table holds the holidays from this year to next year


class CalendarError(ValueError):
    """OPTLINE_BUSINESS_HOLIDAYS names no calendar the `holidays` package has."""


@functools.cache
def _year(spec: str, year: int) -> dict[dt.date, str]:
    """The holidays of one year of a calendar spec (`US`, `US-CA`, `none`), date -> name."""
    if spec.lower() == "none":
        return {}
    country, _, subdiv = spec.partition("-")
    try:
        found = holiday_calendars.country_holidays(country.upper(), subdiv=subdiv.upper() or None, years=year)
    except NotImplementedError as exc:
        raise CalendarError(f"OPTLINE_BUSINESS_HOLIDAYS={spec!r}: no such holiday calendar ({exc}); use a country "
                            "code such as US, a subdivision such as US-CA, or none") from exc
    return dict(sorted(found.items()))


def calendar(spec: str | None = None, years: range | None = None) -> dict[dt.date, str]:
    """The holidays of a calendar (default: the configured one) over `years` (default: from
    FIRST_YEAR to next year), date -> name, in date order."""
    spec = spec or config.business_holidays()
    years = years or range(FIRST_YEAR, dt.date.today().year + 2)
    return {day: name for year in years for day, name in _year(spec, year).items()}


def _weekdays_up_to(day: dt.date) -> int:
    """Mon-Fri dates from date(1, 1, 1), a Monday, up to and including `day`."""
    weeks, rest = divmod(day.toordinal(), 7)
    return weeks * _WEEKDAYS + min(rest, _WEEKDAYS)


def business_days_between(start: dt.datetime, end: dt.datetime, *, tz: dt.tzinfo = dt.UTC,
                          holidays: Collection[dt.date] | None = None) -> int:
    """Business days after `start`'s date up to and including `end`'s date (in `tz`): Mon-Fri
    minus `holidays` (default: the configured calendar's).

    Received Friday, applied Monday: 1. Same day: 0. Negative when `end` is before `start`.
    Naive datetimes are read as UTC.
    """
    first, last = (_date_in(start, tz), _date_in(end, tz))
    if last < first:
        return -business_days_between(end, start, tz=tz, holidays=holidays)
    if holidays is None:
        holidays = calendar(years=range(first.year, last.year + 1))
    count = _weekdays_up_to(last) - _weekdays_up_to(first)
    skipped = sum(1 for h in set(holidays) if first < h <= last and h.weekday() < _WEEKDAYS)
    return count - skipped


def add_business_days(start: dt.datetime, days: int, *, holidays: Collection[dt.date] | None = None) -> dt.date:
    """The UTC date of the `days`-th business day after `start`'s date (weekends and the
    calendar's holidays skipped)."""
    aware = start if start.tzinfo else start.replace(tzinfo=dt.UTC)
    day, counted = aware.astimezone(dt.UTC).date(), 0
    skip = holidays if holidays is not None else calendar(years=range(day.year, day.year + 2 + days // 200))
    while counted < days:
        day += dt.timedelta(days=1)
        counted += day.weekday() < _WEEKDAYS and day not in skip
    return day


def business_days_rule() -> str:
    """How business days are counted, for a report: the configured calendar named."""
    spec = config.business_holidays()
    if spec.lower() == "none":
        return "Monday to Friday, UTC dates; no holidays excluded (OPTLINE_BUSINESS_HOLIDAYS=none)"
    return f"Monday to Friday, UTC dates, minus the {spec} public holidays (OPTLINE_BUSINESS_HOLIDAYS)"


def _date_in(moment: dt.datetime, tz: dt.tzinfo) -> dt.date:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(tz).date()


def over_limit(received_at: dt.datetime, applied_at: dt.datetime, limit: int = FCC_OPT_OUT_LIMIT) -> bool:
    """Whether an opt-out was applied more than `limit` business days after it was received."""
    return business_days_between(received_at, applied_at) > limit


def store_calendar(conn: duckdb.DuckDBPyConnection) -> bool:
    """Make `ops.business_holidays` hold the configured calendar (years FIRST_YEAR to next year),
    for the warehouse's business-day macro; True when it was rewritten (a writer's connection,
    inside or outside a transaction; nothing is written when it already holds them)."""
    spec = config.business_holidays()
    days = calendar(spec)
    held = warehouse.run(conn, "businessdays/holidays_held").fetchone()
    if held == (spec, len(days), max(days, default=None)) or (not days and held == (None, 0, None)):
        return False
    with warehouse.atomic(conn):
        warehouse.run(conn, "businessdays/holidays_delete")
        if days:
            warehouse.run(conn, "businessdays/holidays_insert", calendar=spec, days=list(days),
                          names=list(days.values()))
    return True
