-- The joining number's contact (the earliest at the number) is reachable on the batch's channel
-- (once: a channel it already has is left as it is).
insert into core.contact_channels (contact_id, channel, first_batch_id)
with

batch as (
    select channel
    from ops.inbound_batches
    where batch_id = $batch_id
),

joined_numbers as (
    select distinct messages.e164
    from staging.inbound_outcomes as outcomes
    inner join staging.inbound_messages as messages
        on outcomes.batch_id = messages.batch_id and outcomes.row_number = messages.row_number
    where outcomes.batch_id = $batch_id and outcomes.action = 'join'
),

earliest_contacts as (
    select
        e164,
        min(contact_id) as contact_id
    from core.contacts
    group by e164
)

select
    earliest_contacts.contact_id,
    batch.channel,
    $batch_id
from joined_numbers
inner join earliest_contacts on joined_numbers.e164 = earliest_contacts.e164
cross join batch
where
    not exists (
        select 1 from core.contact_channels as existing
        where existing.contact_id = earliest_contacts.contact_id and existing.channel = batch.channel
    )
order by earliest_contacts.contact_id
