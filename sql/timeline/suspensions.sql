-- A number's consent timeline: operator suspensions and reactivations (list touch-up files).
select
    events.effective_at as at,
    'suspension' as category,
    events.action as event,
    'all' as channel,
    events.source as detail,
    null::varchar as recorded_by,
    null::bigint as contact_id,
    null::varchar as list_name,
    null::bigint as batch_id,
    events.row_number,
    events.source as file_name,
    null::bigint as line_number
from core.number_status_events as events
where events.number_hmac = $number_hmac
