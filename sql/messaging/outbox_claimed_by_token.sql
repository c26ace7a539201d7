-- The messages a batch claim took (the batch's token), read back inside the claim's
-- transaction: a message no longer queued when the batch was claimed is not among them.
select
    outbox_id,
    attempts,
    claim_token
from msg.outbox
where status = 'claimed' and starts_with(claim_token, $claim_token || ':')
order by outbox_id
