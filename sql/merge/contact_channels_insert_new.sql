-- The batch's contacts are reachable on its channel (a channel a contact has is kept).
insert into core.contact_channels (contact_id, channel, first_batch_id)
with

batch as (
    select channel
    from ops.batches
    where batch_id = $batch_id
)

select distinct
    matches.contact_id,
    batch.channel,
    $batch_id
from contact_matches as matches
cross join batch
where
    not exists (
        select 1 from core.contact_channels as existing
        where existing.contact_id = matches.contact_id and existing.channel = batch.channel
    )
order by 1
