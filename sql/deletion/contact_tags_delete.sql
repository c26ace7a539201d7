delete from core.contact_tags
where contact_id in (select contact_id from doomed_contacts)
