-- Business days after start_day up to and including end_day (dates): Monday to Friday, minus the
-- holidays in ops.business_holidays (as optline.consent.businessdays.business_days_between).
-- Negative when end_day is before start_day. Weekdays up to a date: 5 per whole week since
-- Monday 0001-01-01, plus the days of its week up to Friday.
create or replace macro ops.business_days_between(start_day, end_day) as (
    with

    ordinals as (
        select
            date_diff('day', date '0001-01-01', least(start_day, end_day)) + 1 as first_ordinal,
            date_diff('day', date '0001-01-01', greatest(start_day, end_day)) + 1 as last_ordinal
    ),

    weekdays as (
        select
            ((last_ordinal // 7) * 5 + least(last_ordinal % 7, 5))
            - ((first_ordinal // 7) * 5 + least(first_ordinal % 7, 5)) as days,
            case when end_day < start_day then -1 else 1 end as sign
        from ordinals
    ),

    holidays as (
        select count(*) as days
        from ops.business_holidays
        where
            day > least(start_day, end_day)
            and day <= greatest(start_day, end_day)
            and dayofweek(day) not in (0, 6)
    )

    select (weekdays.days - holidays.days) * weekdays.sign
    from weekdays, holidays
)
