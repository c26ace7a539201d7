-- Carry the minimal outbox's rows over, with each number's HMAC from the inbound message
-- that queued it.
insert into msg.outbox_next (
    outbox_id, idempotency_key, kind, e164, number_hmac, channel, list_id, template, body, status, not_before,
    created_at, updated_at, batch_id, row_number
)
select
    outbox.outbox_id,
    outbox.idempotency_key,
    outbox.kind,
    outbox.e164,
    messages.number_hmac,
    outbox.channel,
    joins.list_id,
    outbox.template,
    outbox.body,
    outbox.status,
    outbox.created_at,
    outbox.created_at,
    outbox.created_at,
    outbox.batch_id,
    outbox.row_number
from msg.outbox as outbox
left join staging.inbound_messages as messages
    on messages.batch_id = outbox.batch_id and messages.row_number = outbox.row_number
left join msg.keyword_joins as joins
    on joins.batch_id = outbox.batch_id and joins.row_number = outbox.row_number
order by outbox.outbox_id
