-- The provider took these messages (the call answered, or reconciliation found them): each
-- with its provider id and time, only while still held by the claim that made the call.
update msg.outbox
set
    status = 'sent',
    provider_message_id = sent.provider_message_id,
    sent_at = sent.at,
    finished_at = sent.at,
    last_error = null,
    updated_at = sent.at
from (
    select
        unnest($outbox_ids::bigint[]) as outbox_id,
        unnest($claim_tokens::varchar[]) as claim_token,
        unnest($provider_message_ids::varchar[]) as provider_message_id,
        unnest($ats::timestamptz[]) as at
) as sent
where
    msg.outbox.outbox_id = sent.outbox_id
    and msg.outbox.status = 'claimed'
    and msg.outbox.claim_token = sent.claim_token
