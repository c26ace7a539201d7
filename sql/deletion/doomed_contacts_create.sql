-- The contacts a deletion removes: every contact, or the members of one list (by name,
-- case-insensitive). A contact on another list too is still deleted: deletion is of the person.
create or replace temp table doomed_contacts as
select distinct
    contacts.contact_id,
    contacts.e164
from core.contacts as contacts
left join core.memberships as memberships on contacts.contact_id = memberships.contact_id
left join core.lists as lists on memberships.list_id = lists.list_id
where $everyone or lists.name_key = lower(trim($list_name))
