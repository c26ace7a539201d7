delete from core.contact_tags as contact_tags
using list_operations as operations, core.tags as tags, core.contacts as contacts
where
    operations.action = 'remove_tag'
    and tags.name_key = lower(trim(operations.tag))
    and contacts.e164 = operations.e164
    and contact_tags.tag_id = tags.tag_id
    and contact_tags.contact_id = contacts.contact_id
