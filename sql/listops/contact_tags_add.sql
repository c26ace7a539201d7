insert into core.contact_tags (contact_id, tag_id, first_batch_id)
select distinct
    contacts.contact_id,
    tags.tag_id,
    0
from list_operations as operations
inner join core.tags as tags on tags.name_key = lower(trim(operations.tag))
inner join core.contacts as contacts on operations.e164 = contacts.e164
where operations.action = 'add_tag'
on conflict do nothing
