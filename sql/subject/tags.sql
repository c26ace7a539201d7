-- A data subject's export: the tags on the number's contacts.
select
    contact_tags.contact_id,
    tags.name as tag,
    contact_tags.first_batch_id
from core.contact_tags as contact_tags
inner join core.contacts as contacts on contact_tags.contact_id = contacts.contact_id
inner join core.tags as tags on contact_tags.tag_id = tags.tag_id
where contacts.e164 = $e164
order by contact_tags.contact_id, tags.name
