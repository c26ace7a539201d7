-- A keyword join makes the number's contact (the earliest at the number) an active member of
-- the keyword's list on the batch's channel: the number texted in itself, an explicit opt-in.
-- A pending membership (an imported number not yet confirmed) becomes active.
insert into core.memberships (list_id, contact_id, channel, status, first_batch_id)
with

joins as (
    select distinct
        messages.e164,
        lower(trim(messages.list_name)) as list_key
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

select lists.list_id, earliest_contacts.contact_id, batches.channel, 'active', $batch_id
from joins
inner join core.lists as lists on lists.name_key = joins.list_key
inner join earliest_contacts on earliest_contacts.e164 = joins.e164
cross join (select channel from ops.inbound_batches where batch_id = $batch_id) as batches
order by lists.list_id, earliest_contacts.contact_id
on conflict (list_id, contact_id, channel) do update set status = 'active'
