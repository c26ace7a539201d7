-- Contacts with a name that no existing contact at the same number has, numbered from $first_id
-- by number and names (optline.ids, `contact_id`).
insert into core.contacts (
    contact_id, e164, first_name, last_name, name_key, email, dob, title, address_line1, address_line2,
    city, state, postcode, company, alternate_phone, first_batch_id, last_batch_id
)
select
    $first_id + row_number() over (order by incoming.e164, incoming.name_key) - 1,
    incoming.e164,
    incoming.first_name,
    incoming.last_name,
    incoming.name_key,
    incoming.email,
    incoming.dob,
    incoming.title,
    incoming.address_line1,
    incoming.address_line2,
    incoming.city,
    incoming.state,
    incoming.postcode,
    incoming.company,
    incoming.alternate_phone,
    $batch_id,
    $batch_id
from incoming_contacts as incoming
where
    not incoming.is_nameless
    and not exists (
        select 1 from core.contacts as existing
        where existing.e164 = incoming.e164 and existing.name_key = incoming.name_key
    )
order by incoming.e164, incoming.name_key
