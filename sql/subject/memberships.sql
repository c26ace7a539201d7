-- A data subject's export: the lists the number's contacts are on, per channel.
select
    memberships.contact_id,
    lists.name as list_name,
    memberships.channel,
    memberships.status,
    memberships.first_batch_id,
    memberships.created_at
from core.memberships as memberships
inner join core.contacts as contacts on memberships.contact_id = contacts.contact_id
inner join core.lists as lists on memberships.list_id = lists.list_id
where contacts.e164 = $e164
order by memberships.contact_id, lists.name, memberships.channel
