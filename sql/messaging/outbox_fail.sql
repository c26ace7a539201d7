-- Claimed messages that end for good: refused permanently, or out of attempts.
update msg.outbox
set
    status = 'failed',
    status_reason = failed.reason,
    last_error = failed.error,
    finished_at = failed.at,
    updated_at = failed.at
from (
    select
        unnest($outbox_ids::bigint[]) as outbox_id,
        unnest($claim_tokens::varchar[]) as claim_token,
        unnest($reasons::varchar[]) as reason,
        unnest($errors::varchar[]) as error,
        unnest($ats::timestamptz[]) as at
) as failed
where
    msg.outbox.outbox_id = failed.outbox_id
    and msg.outbox.status = 'claimed'
    and msg.outbox.claim_token = failed.claim_token
