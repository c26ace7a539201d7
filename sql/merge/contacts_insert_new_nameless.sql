-- A number without names becomes a contact only when no contact has that number yet
-- (otherwise it merges into the earliest contact at the number), numbered from $first_id by
-- number (optline.ids, `contact_id`): by its place in merge/new_nameless_contacts_create, as
-- merge/contacts_insert_new_named numbers the named ones.
insert into core.contacts (
    contact_id, e164, first_name, last_name, name_key, email, dob, title, address_line1, address_line2,
    city, state, postcode, company, alternate_phone, first_batch_id, last_batch_id
)
select
    $first_id + row_number() over () - 1,
    new.e164,
    null,
    null,
    new.name_key,
    new.email,
    new.dob,
    new.title,
    new.address_line1,
    new.address_line2,
    new.city,
    new.state,
    new.postcode,
    new.company,
    new.alternate_phone,
    $batch_id,
    $batch_id
from new_nameless_contacts as new
