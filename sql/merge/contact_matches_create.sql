-- Which warehouse contact each incoming contact is: the same number and names, or for a
-- row without names, the contact without names at that number, else the earliest one; and
-- whether that contact existed before this batch (`existed`: contacts_update_matched and the
-- batch's counts need no second look at core.contacts).
create or replace temp table contact_matches as
with

-- only the numbers a row without names brings (the earliest contact of every number in a
-- large warehouse would be a grouping of all its contacts, every batch)
nameless_numbers as (
    select e164
    from incoming_contacts
    where is_nameless
),

earliest as (
    select
        contacts.e164,
        min(contacts.contact_id) as contact_id,
        arg_min(contacts.first_batch_id, contacts.contact_id) as first_batch_id
    from core.contacts as contacts
    where contacts.e164 in (select nameless_numbers.e164 from nameless_numbers)
    group by contacts.e164
)

select
    incoming.e164,
    incoming.name_key,
    coalesce(exact.contact_id, case when incoming.is_nameless then earliest.contact_id end) as contact_id,
    coalesce(
        coalesce(exact.first_batch_id, case when incoming.is_nameless then earliest.first_batch_id end) <> $batch_id,
        false
    ) as existed
from incoming_contacts as incoming
left join core.contacts as exact
    on incoming.e164 = exact.e164 and incoming.name_key = exact.name_key
left join earliest
    on incoming.e164 = earliest.e164
