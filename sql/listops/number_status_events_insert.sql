insert into core.number_status_events (number_hmac, action, effective_at, source, row_number)
select
    number_hmac,
    action,
    $applied_at + to_microseconds(row_number),
    $source,
    row_number
from list_operations
where action in ('suspend', 'reactivate')
order by row_number
