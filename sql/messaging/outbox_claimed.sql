-- Messages left claimed (a crash or an unknown outcome): each must be reconciled with the
-- provider before it may be sent again. Oldest claim first.
select
    outbox_id,
    idempotency_key,
    e164,
    channel,
    body,
    attempts,
    claim_token,
    claimed_at,
    provider
from msg.outbox
where status = 'claimed' and claimed_at <= $claimed_before
order by claimed_at, outbox_id
