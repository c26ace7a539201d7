-- Merge incoming fields into the contacts they match. A blank incoming field never
-- overwrites; where several incoming rows reach one contact, the later row wins. Only contacts
-- that existed before this batch or that several incoming contacts reach change: a contact this
-- batch made from one incoming contact already holds its fields, so it is left out before the
-- fields are aggregated (13.7M new contacts, each aggregated, ran out of 1 GiB).
update core.contacts as contacts
set
    email = coalesce(incoming.email, contacts.email),
    dob = coalesce(incoming.dob, contacts.dob),
    title = coalesce(incoming.title, contacts.title),
    address_line1 = coalesce(incoming.address_line1, contacts.address_line1),
    address_line2 = coalesce(incoming.address_line2, contacts.address_line2),
    city = coalesce(incoming.city, contacts.city),
    state = coalesce(incoming.state, contacts.state),
    postcode = coalesce(incoming.postcode, contacts.postcode),
    company = coalesce(incoming.company, contacts.company),
    alternate_phone = coalesce(incoming.alternate_phone, contacts.alternate_phone),
    last_batch_id = $batch_id,
    updated_at = current_timestamp
from (
    select
        matches.contact_id,
        arg_max(incoming.email, incoming.last_row_number) filter (where incoming.email is not null) as email,
        arg_max(incoming.dob, incoming.last_row_number) filter (where incoming.dob is not null) as dob,
        arg_max(incoming.title, incoming.last_row_number) filter (where incoming.title is not null) as title,
        arg_max(incoming.address_line1, incoming.last_row_number) filter (where incoming.address_line1 is not null)
            as address_line1,
        arg_max(incoming.address_line2, incoming.last_row_number) filter (where incoming.address_line2 is not null)
            as address_line2,
        arg_max(incoming.city, incoming.last_row_number) filter (where incoming.city is not null) as city,
        arg_max(incoming.state, incoming.last_row_number) filter (where incoming.state is not null) as state,
        arg_max(incoming.postcode, incoming.last_row_number) filter (where incoming.postcode is not null) as postcode,
        arg_max(incoming.company, incoming.last_row_number) filter (where incoming.company is not null) as company,
        arg_max(incoming.alternate_phone, incoming.last_row_number) filter (
            where incoming.alternate_phone is not null
        ) as alternate_phone
    from contact_matches as matches
    inner join incoming_contacts as incoming
        on matches.e164 = incoming.e164 and matches.name_key = incoming.name_key
    where
        matches.contact_id in (
            select reached.contact_id
            from contact_matches as reached
            group by reached.contact_id
            having count(*) > 1 or bool_or(reached.existed)
        )
    group by matches.contact_id
) as incoming
where contacts.contact_id = incoming.contact_id
