-- Read a date cell (a date of birth) with the same date-order rules as parse_timestamp.
create or replace macro staging.parse_date(value, date_order) as
case date_order
    when 'mdy'
        then
            coalesce(
                try_cast(value as date),
                try_strptime(value, ['%m/%d/%Y', '%m-%d-%Y', '%Y-%m-%d %H:%M:%S'])::date
            )
    when 'dmy'
        then
            coalesce(
                try_cast(value as date),
                try_strptime(value, ['%d/%m/%Y', '%d.%m.%Y', '%d-%m-%Y', '%Y-%m-%d %H:%M:%S'])::date
            )
    else try_cast(value as date)
end
