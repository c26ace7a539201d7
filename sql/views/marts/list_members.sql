-- Who is on which list, by channel and status, with the number masked to its last two digits.
create or replace view marts.list_members as
select
    lists.name as list_name,
    memberships.channel,
    memberships.status,
    contacts.contact_id,
    repeat('•', length(contacts.e164) - 2) || right(contacts.e164, 2) as e164_masked,
    numbers.region,
    numbers.number_type,
    memberships.first_batch_id,
    memberships.created_at
from core.memberships as memberships
inner join core.lists as lists on memberships.list_id = lists.list_id
inner join core.contacts as contacts on memberships.contact_id = contacts.contact_id
inner join core.phone_numbers as numbers on contacts.e164 = numbers.e164
