-- Applied suspend/reactivate rows, in file order, a microsecond apart, and after every event
-- already recorded (a file applied later wins, even at the same clock).
insert into core.number_status_events (number_hmac, action, effective_at, source, row_number)
with

latest as (
    select coalesce(max(effective_at), $applied_at) as effective_at
    from core.number_status_events
)

select
    touchup_rows.number_hmac,
    touchup_rows.action,
    greatest($applied_at, latest.effective_at) + to_microseconds(touchup_rows.row_number),
    $source,
    touchup_rows.row_number
from staging.touchup_rows as touchup_rows
cross join latest
where
    touchup_rows.batch_id = $batch_id
    and touchup_rows.outcome = 'applied'
    and touchup_rows.action in ('suspend', 'reactivate')
order by touchup_rows.row_number
