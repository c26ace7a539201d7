-- One row per distinct contact the batch brings (number + case-insensitive names): the batch's
-- accepted rows as they are. A number and names come at most once among them: the row rules
-- reject every later copy (duplicate_in_file) and the gate's critical expectation on
-- `quality.batch_shares.repeated_rows` holds a batch with a repeat back, so there is nothing to
-- aggregate (the grouping that looked for repeats cost 6 of 22 s at 9.4M rows, measured).
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
    row_number as last_row_number,
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
from accepted
