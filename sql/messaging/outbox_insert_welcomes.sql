-- Queue the rendered welcomes (registered by optline.outbox as `welcomes_rendered`). A key
-- already in the outbox is skipped: each welcome is queued once.
insert into msg.outbox (
    idempotency_key, kind, e164, number_hmac, channel, list_id, contact_id, template, body, status,
    not_before, created_at, updated_at, batch_id
)
select
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
    batch_id
from welcomes_rendered
order by batch_id, list_id, contact_id
on conflict do nothing
