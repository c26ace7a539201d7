-- Every rejected row of a batch with its reason, and the raw row (for a masked value).
select
    outcomes.row_number,
    rows.line_number,
    outcomes.reason_column,
    outcomes.reason_code,
    outcomes.reason_detail,
    outcomes.reasons,
    {
        'phone_raw': rows.phone_raw, 'first_name': rows.first_name, 'last_name': rows.last_name,
        'email': rows.email, 'dob_raw': rows.dob_raw, 'age_raw': rows.age_raw,
        'opted_in_at_raw': rows.opted_in_at_raw, 'last_contact_at_raw': rows.last_contact_at_raw,
        'title': rows.title, 'address_line1': rows.address_line1, 'address_line2': rows.address_line2,
        'city': rows.city, 'state': rows.state, 'postcode': rows.postcode, 'company': rows.company,
        'alternate_phone': rows.alternate_phone, 'tags_raw': rows.tags_raw
    } as raw_row
from staging.row_outcomes as outcomes
inner join staging.contact_rows as rows
    on outcomes.batch_id = rows.batch_id and outcomes.row_number = rows.row_number
where outcomes.batch_id = $batch_id and not outcomes.accepted
order by outcomes.row_number
