delete from core.contacts
where contact_id in (select contact_id from doomed_contacts)
