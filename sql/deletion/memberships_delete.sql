delete from core.memberships
where contact_id in (select contact_id from doomed_contacts)
