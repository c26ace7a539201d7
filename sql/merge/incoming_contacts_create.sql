-- One row per distinct contact the batch brings (number + case-insensitive names), with
-- each field's last non-blank value in file order: blank cells never overwrite.
create or replace temp table incoming_contacts as
with

accepted as (
    select
        outcomes.row_number,
        outcomes.e164,
        outcomes.first_name,
        outcomes.last_name,
        outcomes.email,
        outcomes.dob,
        rows.title,
        rows.address_line1,
        rows.address_line2,
        rows.city,
        rows.state,
        rows.postcode,
        rows.company,
        rows.alternate_phone,
        (
            lower(trim(coalesce(outcomes.first_name, ''))) || chr(31) || lower(trim(coalesce(outcomes.last_name, '')))
        ) as name_key
    from staging.row_outcomes as outcomes
    inner join staging.contact_rows as rows
        on outcomes.batch_id = rows.batch_id and outcomes.row_number = rows.row_number
    where outcomes.batch_id = $batch_id and outcomes.accepted
)

select
    e164,
    name_key,
    name_key = chr(31) as is_nameless,
    max(row_number) as last_row_number,
    arg_max(first_name, row_number) filter (where first_name is not null) as first_name,
    arg_max(last_name, row_number) filter (where last_name is not null) as last_name,
    arg_max(email, row_number) filter (where email is not null) as email,
    arg_max(dob, row_number) filter (where dob is not null) as dob,
    arg_max(title, row_number) filter (where title is not null) as title,
    arg_max(address_line1, row_number) filter (where address_line1 is not null) as address_line1,
    arg_max(address_line2, row_number) filter (where address_line2 is not null) as address_line2,
    arg_max(city, row_number) filter (where city is not null) as city,
    arg_max(state, row_number) filter (where state is not null) as state,
    arg_max(postcode, row_number) filter (where postcode is not null) as postcode,
    arg_max(company, row_number) filter (where company is not null) as company,
    arg_max(alternate_phone, row_number) filter (where alternate_phone is not null) as alternate_phone
from accepted
group by e164, name_key
