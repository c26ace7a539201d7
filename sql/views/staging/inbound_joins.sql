-- The memberships each inbound batch's keyword joins make: the joining number's contact (the
-- earliest at the number) on the keyword's list, on the batch's channel. Read one batch at a
-- time (`where batch_id = ...`): inbound/memberships_activate_joined, _insert_joined.
create or replace view staging.inbound_joins as
with

joins as (
    select distinct
        outcomes.batch_id,
        messages.e164,
        lower(trim(messages.list_name)) as list_key
    from staging.inbound_outcomes as outcomes
    inner join staging.inbound_messages as messages
        on outcomes.batch_id = messages.batch_id and outcomes.row_number = messages.row_number
    where outcomes.action = 'join'
),

earliest_contacts as (
    select
        e164,
        min(contact_id) as contact_id
    from core.contacts
    group by e164
)

select distinct
    joins.batch_id,
    lists.list_id,
    earliest_contacts.contact_id,
    batches.channel
from joins
inner join ops.inbound_batches as batches on joins.batch_id = batches.batch_id
inner join core.lists as lists on joins.list_key = lists.name_key
inner join earliest_contacts on joins.e164 = earliest_contacts.e164
