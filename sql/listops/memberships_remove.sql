delete from core.memberships as memberships
using list_operations as operations, core.lists as lists, core.contacts as contacts
where
    operations.action = 'remove_member'
    and lists.name_key = lower(trim(operations.list_name))
    and contacts.e164 = operations.e164
    and memberships.list_id = lists.list_id
    and memberships.contact_id = contacts.contact_id
