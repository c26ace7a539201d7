-- How many contacts the deletion removes (deletion/doomed_contacts_create).
select count(*) as contacts
from doomed_contacts
