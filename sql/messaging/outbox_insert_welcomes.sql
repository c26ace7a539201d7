-- Queue the rendered welcomes (registered by optline.outbox as `welcomes_rendered`). A key
-- already in the outbox (or twice in the registered rows: the first in order goes) is skipped:
-- each welcome is queued once. Numbered from $first_id by batch, list and contact (optline.ids,
-- `outbox_id`). A welcome with a confirmation link keeps the link's id and expiry (the token
-- itself only inside the body).
insert into msg.outbox (
    outbox_id, idempotency_key, kind, e164, number_hmac, channel, list_id, contact_id, template, body, status,
    not_before, created_at, updated_at, batch_id, link_id, link_expires_at
)
with

new_welcomes as (
    select *
    from welcomes_rendered as rendered
    where
        not exists (
            select 1 from msg.outbox as queued
            where queued.idempotency_key = rendered.idempotency_key
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
    template,
    body,
    'queued',
    $now,
    $now,
    $now,
    batch_id,
    link_id,
    link_expires_at
from new_welcomes
order by batch_id, list_id, contact_id, idempotency_key
