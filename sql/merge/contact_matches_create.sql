-- Which warehouse contact each incoming contact is: the same number and names, or for a
-- row without names, the contact without names at that number, else the earliest one.
create or replace temp table contact_matches as
with

earliest as (
    select
        e164,
        min(contact_id) as contact_id
    from core.contacts
    group by e164
)

select
    incoming.e164,
    incoming.name_key,
    coalesce(exact.contact_id, case when incoming.is_nameless then earliest.contact_id end) as contact_id
from incoming_contacts as incoming
left join core.contacts as exact
    on incoming.e164 = exact.e164 and incoming.name_key = exact.name_key
left join earliest
    on incoming.e164 = earliest.e164
