-- The configured calendar's holidays: $days and $names in the same order.
insert into ops.business_holidays (calendar, day, name)
select
    $calendar as calendar,
    unnest($days::date[]) as day,
    unnest($names::varchar[]) as name
