-- One row per distinct contact the batch brings (number + case-insensitive names), with
-- each field's last non-blank value in file order: blank cells never overwrite. Only the
-- contacts that several rows bring are aggregated; a contact one row brings is that row (13.7M
-- contacts each aggregated held every group's field values in memory, which does not spill).
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
),

repeated as (
    select
        e164,
        name_key
    from accepted
    group by e164, name_key
    having count(*) > 1
),

brought_once as (
    select
        accepted.e164,
        accepted.name_key,
        accepted.row_number as last_row_number,
        accepted.first_name,
        accepted.last_name,
        accepted.email,
        accepted.dob,
        accepted.title,
        accepted.address_line1,
        accepted.address_line2,
        accepted.city,
        accepted.state,
        accepted.postcode,
        accepted.company,
        accepted.alternate_phone
    from accepted
    where not exists (
        select 1 from repeated
        where repeated.e164 = accepted.e164 and repeated.name_key = accepted.name_key
    )
),

brought_again as (
    select
        accepted.e164,
        accepted.name_key,
        max(accepted.row_number) as last_row_number,
        arg_max(accepted.first_name, accepted.row_number) filter (where accepted.first_name is not null) as first_name,
        arg_max(accepted.last_name, accepted.row_number) filter (where accepted.last_name is not null) as last_name,
        arg_max(accepted.email, accepted.row_number) filter (where accepted.email is not null) as email,
        arg_max(accepted.dob, accepted.row_number) filter (where accepted.dob is not null) as dob,
        arg_max(accepted.title, accepted.row_number) filter (where accepted.title is not null) as title,
        arg_max(accepted.address_line1, accepted.row_number) filter (
            where accepted.address_line1 is not null
        ) as address_line1,
        arg_max(accepted.address_line2, accepted.row_number) filter (
            where accepted.address_line2 is not null
        ) as address_line2,
        arg_max(accepted.city, accepted.row_number) filter (where accepted.city is not null) as city,
        arg_max(accepted.state, accepted.row_number) filter (where accepted.state is not null) as state,
        arg_max(accepted.postcode, accepted.row_number) filter (where accepted.postcode is not null) as postcode,
        arg_max(accepted.company, accepted.row_number) filter (where accepted.company is not null) as company,
        arg_max(accepted.alternate_phone, accepted.row_number) filter (
            where accepted.alternate_phone is not null
        ) as alternate_phone
    from accepted
    inner join repeated on accepted.e164 = repeated.e164 and accepted.name_key = repeated.name_key
    group by accepted.e164, accepted.name_key
),

incoming as (
    select * from brought_once
    union all
    select * from brought_again
)

select
    e164,
    name_key,
    name_key = chr(31) as is_nameless,
    last_row_number,
    first_name,
    last_name,
    email,
    dob,
    title,
    address_line1,
    address_line2,
    city,
    state,
    postcode,
    company,
    alternate_phone
from incoming
