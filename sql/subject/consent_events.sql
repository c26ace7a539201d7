-- A data subject's export: every consent event of the number (the ledger names it by HMAC).
select
    event_id,
    scope,
    kind,
    effective_at,
    source,
    method,
    contact_id,
    batch_id,
    row_number,
    dag_id,
    run_id,
    recorded_at
from core.consent_events
where number_hmac = $number_hmac
order by event_id
