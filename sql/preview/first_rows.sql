-- The first $max_rows rows of a batch with their verdicts (optline inspect shows them masked):
-- the row, its line, accepted or its first reason, its warnings, and the raw fields.
with first_outcomes as (
    select
        outcomes.row_number,
        outcomes.accepted,
        outcomes.reason_code,
        outcomes.warnings
    from staging.row_outcomes as outcomes
    where outcomes.batch_id = $batch_id
    order by outcomes.row_number
    limit $max_rows
)

select
    first_outcomes.row_number,
    rows.line_number,
    first_outcomes.accepted,
    first_outcomes.reason_code,
    first_outcomes.warnings,
    rows.phone_raw,
    rows.first_name,
    rows.last_name,
    rows.email,
    rows.dob_raw,
    rows.age_raw,
    rows.opted_in_at_raw,
    rows.last_contact_at_raw,
    rows.title,
    rows.address_line1,
    rows.address_line2,
    rows.city,
    rows.state,
    rows.postcode,
    rows.company,
    rows.alternate_phone,
    rows.tags_raw
from first_outcomes
inner join staging.contact_rows as rows
    on rows.batch_id = $batch_id and first_outcomes.row_number = rows.row_number
order by first_outcomes.row_number
