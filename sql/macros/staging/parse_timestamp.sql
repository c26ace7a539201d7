-- Read a timestamp cell: ISO 8601 always; slashed dates in the list's date order
-- ('mdy' for US/CA lists, 'dmy' elsewhere, 'ymd' for ISO only). Null when unreadable.
create or replace macro staging.parse_timestamp(value, date_order) as
case date_order
    when 'mdy'
        then
            coalesce(
                try_cast(value as timestamptz),
                try_strptime(
                    value,
                    ['%m/%d/%Y %H:%M:%S', '%m/%d/%Y %H:%M', '%m/%d/%Y %I:%M %p', '%m/%d/%Y', '%m-%d-%Y', '%m/%d/%y']
                )::timestamptz
            )
    when 'dmy'
        then
            coalesce(
                try_cast(value as timestamptz),
                try_strptime(
                    value, ['%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M', '%d/%m/%Y', '%d.%m.%Y', '%d-%m-%Y', '%d/%m/%y']
                )::timestamptz
            )
    else try_cast(value as timestamptz)
end
