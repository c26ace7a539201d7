-- The provider certainly does not have these messages (it refused them for now, or
-- reconciliation found nothing): back in the queue, each not before its own time.
update msg.outbox
set
    status = 'queued',
    not_before = requeued.not_before,
    status_reason = 'retry',
    last_error = requeued.error,
    updated_at = requeued.at
from (
    select
        unnest($outbox_ids::bigint[]) as outbox_id,
        unnest($claim_tokens::varchar[]) as claim_token,
        unnest($not_befores::timestamptz[]) as not_before,
        unnest($errors::varchar[]) as error,
        unnest($ats::timestamptz[]) as at
) as requeued
where
    msg.outbox.outbox_id = requeued.outbox_id
    and msg.outbox.status = 'claimed'
    and msg.outbox.claim_token = requeued.claim_token
