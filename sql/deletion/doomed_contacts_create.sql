-- The contacts a deletion removes: every contact (scope all), the members of one list (by
-- name, case-insensitive), or every contact at one number. A contact on another list too is
-- still deleted: deletion is of the person.
create or replace temp table doomed_contacts as
select distinct
    contacts.contact_id,
    contacts.e164,
    contacts.name_key,
    lower(trim(contacts.email)) as email_key
from core.contacts as contacts
left join core.memberships as memberships on contacts.contact_id = memberships.contact_id
left join core.lists as lists on memberships.list_id = lists.list_id
where
    $scope = 'all'
    or ($scope = 'list' and lists.name_key = lower(trim($list_name)))
    or ($scope = 'number' and contacts.e164 = $e164)
