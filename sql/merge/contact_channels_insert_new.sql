insert into core.contact_channels (contact_id, channel, first_batch_id)
select distinct matches.contact_id, batches.channel, $batch_id
from contact_matches as matches
cross join (select channel from ops.batches where batch_id = $batch_id) as batches
order by 1
on conflict do nothing
