-- Calls whose outcome is unknown (timeout, dropped connection, 5xx): the messages stay
-- claimed and are reconciled with the provider before any resend.
update msg.outbox
set
    last_error = unknown.error,
    updated_at = unknown.at
from (
    select
        unnest($outbox_ids::bigint[]) as outbox_id,
        unnest($claim_tokens::varchar[]) as claim_token,
        unnest($errors::varchar[]) as error,
        unnest($ats::timestamptz[]) as at
) as unknown
where
    msg.outbox.outbox_id = unknown.outbox_id
    and msg.outbox.status = 'claimed'
    and msg.outbox.claim_token = unknown.claim_token
