-- The welcomes never to send because the number was reassigned after its consent (registered
-- by optline.lookup.reassigned as `reassigned_welcomes`): written to the outbox as cancelled,
-- with the reason, under the welcome's own key, so the welcome is never queued. Numbered from
-- $first_id (optline.ids, `outbox_id`).
insert into msg.outbox (
    outbox_id, idempotency_key, kind, e164, number_hmac, channel, list_id, contact_id, template, body, status,
    status_reason, last_error, finished_at, created_at, updated_at, batch_id
)
with

new_cancels as (
    select *
    from reassigned_welcomes as reassigned
    where
        not exists (
            select 1 from msg.outbox as queued
            where queued.idempotency_key = reassigned.idempotency_key
        )
    qualify row_number() over (partition by idempotency_key order by batch_id, list_id, contact_id) = 1
)

select
    $first_id + row_number() over (order by batch_id, list_id, contact_id, idempotency_key) - 1,
    idempotency_key,
    'welcome',
    e164,
    number_hmac,
    channel,
    list_id,
    contact_id,
    '',
    '',
    'cancelled',
    'reassigned_number',
    detail,
    $now,
    $now,
    $now,
    batch_id
from new_cancels
order by batch_id, list_id, contact_id, idempotency_key
