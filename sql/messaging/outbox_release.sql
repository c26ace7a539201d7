-- Claims whose provider call was never made (the run stopped first: credentials refused,
-- its time was up, the recipient's hours had closed): certainly not at the provider, so
-- back in the queue as they were, the attempt not counted.
update msg.outbox
set
    status = 'queued',
    attempts = msg.outbox.attempts - 1,
    claim_token = null,
    claimed_at = null,
    updated_at = $now
from (
    select
        unnest($outbox_ids::bigint[]) as outbox_id,
        unnest($claim_tokens::varchar[]) as claim_token
) as released
where
    msg.outbox.outbox_id = released.outbox_id
    and msg.outbox.status = 'claimed'
    and msg.outbox.claim_token = released.claim_token
