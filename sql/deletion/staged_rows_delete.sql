delete from staging.contact_rows as rows
where exists (
    select 1 from staging.phone_parses as parses
    where
        parses.batch_id = rows.batch_id and parses.phone_raw = rows.phone_raw
        and parses.e164 in (select doomed_numbers.e164 from doomed_numbers)
)
