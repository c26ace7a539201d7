-- How many messages deletion/outbox_scrub is about to scrub (counted before it, in the
-- deletion's transaction).
select count(*) as messages
from msg.outbox
where
    status <> 'claimed'
    and (e164 <> '' or body <> '')
    and (
        e164 in (select doomed_numbers.e164 from doomed_numbers)
        or contact_id in (select doomed_contacts.contact_id from doomed_contacts)
    )
