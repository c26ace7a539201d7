-- The opt-out files' rows that name a doomed person: by the number given (parsed), the
-- numbers the row suppressed, a matched doomed contact, or a doomed contact's email; for
-- scope all, every row.
create or replace temp table doomed_optout_rows as
select distinct
    optout_rows.batch_id,
    optout_rows.row_number
from staging.optout_rows as optout_rows
left join staging.optout_outcomes as outcomes
    on optout_rows.batch_id = outcomes.batch_id and optout_rows.row_number = outcomes.row_number
left join staging.optout_phone_parses as parses
    on optout_rows.batch_id = parses.batch_id and optout_rows.phone_raw = parses.phone_raw
where
    $scope = 'all'
    or parses.e164 in (select doomed_numbers.e164 from doomed_numbers)
    or outcomes.e164 in (select doomed_numbers.e164 from doomed_numbers)
    or list_has_any(outcomes.numbers, (select coalesce(list(doomed_numbers.e164), []) from doomed_numbers))
    or list_has_any(
        list_transform(outcomes.matches, m -> m.contact_id),
        (select coalesce(list(doomed_contacts.contact_id), []) from doomed_contacts)
    )
    or lower(trim(optout_rows.email)) in (
        select doomed_contacts.email_key from doomed_contacts
        where doomed_contacts.email_key is not null
    )
