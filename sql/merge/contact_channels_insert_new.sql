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
order by 1
on conflict do nothing
