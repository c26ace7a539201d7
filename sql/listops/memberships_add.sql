-- Adding a member: every contact at the number joins the list, on each channel it has.
insert into core.memberships (list_id, contact_id, channel, status, first_batch_id)
select distinct
    lists.list_id,
    contacts.contact_id,
    channels.channel,
    'active',
    0
from list_operations as operations
inner join core.lists as lists on lists.name_key = lower(trim(operations.list_name))
inner join core.contacts as contacts on operations.e164 = contacts.e164
inner join core.contact_channels as channels on contacts.contact_id = channels.contact_id
where operations.action = 'add_member'
on conflict do nothing
