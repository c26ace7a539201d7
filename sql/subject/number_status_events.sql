-- A data subject's export: operators' suspensions and reactivations of the number.
select
    action,
    effective_at,
    source,
    row_number
from core.number_status_events
where number_hmac = $number_hmac
order by effective_at
