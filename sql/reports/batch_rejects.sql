-- The first $max_rows rejected rows of a batch (by row number) with their reason, and the raw row
-- (for a masked value): what rejects.csv holds. The cap comes first, so the join and the result
-- stay small however many rows the batch rejected.
with first_rejected as (
    select
        outcomes.row_number,
        outcomes.reason_column,
        outcomes.reason_code,
        outcomes.reason_detail,
        outcomes.reasons
    from staging.row_outcomes as outcomes
    where outcomes.batch_id = $batch_id and not outcomes.accepted
    order by outcomes.row_number
    limit $max_rows
),

last_row as (
    select max(first_rejected.row_number) as row_number
    from first_rejected
)

select
    first_rejected.row_number,
    rows.line_number,
    first_rejected.reason_column,
    first_rejected.reason_code,
    first_rejected.reason_detail,
    first_rejected.reasons,
    {
        'phone_raw': rows.phone_raw, 'first_name': rows.first_name, 'last_name': rows.last_name,
        'email': rows.email, 'dob_raw': rows.dob_raw, 'age_raw': rows.age_raw,
        'opted_in_at_raw': rows.opted_in_at_raw, 'last_contact_at_raw': rows.last_contact_at_raw,
        'title': rows.title, 'address_line1': rows.address_line1, 'address_line2': rows.address_line2,
        'city': rows.city, 'state': rows.state, 'postcode': rows.postcode, 'company': rows.company,
        'alternate_phone': rows.alternate_phone, 'tags_raw': rows.tags_raw
    } as raw_row
from first_rejected
inner join staging.contact_rows as rows
    on rows.batch_id = $batch_id and first_rejected.row_number = rows.row_number
where rows.row_number <= (select last_row.row_number from last_row)
order by first_rejected.row_number
