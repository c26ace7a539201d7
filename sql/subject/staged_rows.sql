-- A data subject's export: every staged contact row at the number, in every batch whatever its
-- status, with its lineage (batch, file, line) and verdict.
select
    staged.batch_id,
    batches.file_name,
    batches.status as batch_status,
    staged.line_number,
    staged.row_number,
    staged.phone_raw,
    staged.first_name,
    staged.last_name,
    staged.email,
    staged.dob_raw,
    staged.age_raw,
    staged.opted_in_at_raw,
    staged.last_contact_at_raw,
    staged.title,
    staged.address_line1,
    staged.address_line2,
    staged.city,
    staged.state,
    staged.postcode,
    staged.company,
    staged.alternate_phone,
    staged.tags_raw,
    staged.extra,
    outcomes.accepted,
    outcomes.reason_code,
    outcomes.reasons,
    outcomes.warnings,
    row_contacts.contact_id
from staging.contact_rows as staged
inner join staging.phone_parses as parses
    on staged.batch_id = parses.batch_id and staged.phone_raw = parses.phone_raw
inner join ops.batches as batches on staged.batch_id = batches.batch_id
left join staging.row_outcomes as outcomes
    on staged.batch_id = outcomes.batch_id and staged.row_number = outcomes.row_number
left join staging.row_contacts as row_contacts
    on staged.batch_id = row_contacts.batch_id and staged.row_number = row_contacts.row_number
where parses.e164 = $e164
order by staged.batch_id, staged.row_number
