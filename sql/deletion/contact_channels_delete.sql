delete from core.contact_channels
where contact_id in (select contact_id from doomed_contacts)
