-- A data subject's export: every message meant for the number (the outbox), with its outcome.
select
    outbox_id,
    kind,
    channel,
    list_id,
    contact_id,
    body,
    status,
    status_reason,
    attempts,
    provider,
    sent_at,
    finished_at,
    delivery_status,
    delivery_updated_at,
    created_at,
    batch_id,
    row_number
from msg.outbox
where e164 = $e164 or number_hmac = $number_hmac
order by outbox_id
