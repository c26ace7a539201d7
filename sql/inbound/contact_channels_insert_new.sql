-- The joining number's contact (the earliest at the number) is reachable on the batch's channel.
insert into core.contact_channels (contact_id, channel, first_batch_id)
with

joined_numbers as (
    select distinct messages.e164
    from staging.inbound_outcomes as outcomes
    inner join staging.inbound_messages as messages
        on messages.batch_id = outcomes.batch_id and messages.row_number = outcomes.row_number
    where outcomes.batch_id = $batch_id and outcomes.action = 'join'
),

earliest_contacts as (
    select e164, min(contact_id) as contact_id
    from core.contacts
    group by e164
)

select earliest_contacts.contact_id, batches.channel, $batch_id
from joined_numbers
inner join earliest_contacts on earliest_contacts.e164 = joined_numbers.e164
cross join (select channel from ops.inbound_batches where batch_id = $batch_id) as batches
order by earliest_contacts.contact_id
on conflict do nothing
