-- A keyword join makes the number's contact (the earliest at the number) an active member of
-- the keyword's list on the batch's channel: the number texted in itself, an explicit opt-in.
-- A pending membership (an imported number not yet confirmed) becomes active.
insert into core.memberships (list_id, contact_id, channel, status, first_batch_id)
with

batch as (
    select channel
    from ops.inbound_batches
    where batch_id = $batch_id
),

joins as (
    select distinct
        messages.e164,
        lower(trim(messages.list_name)) as list_key
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
    lists.list_id,
    earliest_contacts.contact_id,
    batch.channel,
    'active',
    $batch_id
from joins
inner join core.lists as lists on joins.list_key = lists.name_key
inner join earliest_contacts on joins.e164 = earliest_contacts.e164
cross join batch
order by lists.list_id, earliest_contacts.contact_id
on conflict (list_id, contact_id, channel) do update set status = 'active'
