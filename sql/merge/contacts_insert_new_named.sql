-- Contacts with a name that no existing contact at the same number has, numbered from $first_id
-- by number and names (optline.ids, `contact_id`): merge/new_named_contacts_create holds them in
-- that order, and a row's place there is its place in the numbering. `row_number() over ()` is
-- DuckDB's streaming window, which keeps its input's order: the table's. (Its rowid less the
-- table's least rowid, cross joined, cost 19-21 s of a 10M merge against 6.6-7.1 s.)
insert into core.contacts (
    contact_id, e164, first_name, last_name, name_key, email, dob, title, address_line1, address_line2,
    city, state, postcode, company, alternate_phone, first_batch_id, last_batch_id
)
select
    $first_id + row_number() over () - 1,
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
