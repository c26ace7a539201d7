-- Contacts with a name that no existing contact at the same number has, numbered from $first_id
-- by number and names (optline.ids, `contact_id`): merge/new_named_contacts_create holds them in
-- that order, and a row's place there (rowid, counted from the table's first) is its place in the numbering.
insert into core.contacts (
    contact_id, e164, first_name, last_name, name_key, email, dob, title, address_line1, address_line2,
    city, state, postcode, company, alternate_phone, first_batch_id, last_batch_id
)
with

first_row as (
    select min(rowid) as rowid
    from new_named_contacts
)

select
    $first_id + new.rowid - first_row.rowid,
    new.e164,
    new.first_name,
    new.last_name,
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
from new_named_contacts as new
cross join first_row
