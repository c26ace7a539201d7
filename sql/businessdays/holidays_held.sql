-- Which calendar ops.business_holidays holds: its name, how many dates, the last one.
select
    any_value(calendar) as calendar,
    count(*) as days,
    max(day) as last_day
from ops.business_holidays
