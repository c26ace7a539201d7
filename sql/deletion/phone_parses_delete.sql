-- Parses of a doomed number, and parses of a raw value no staged row of its batch has any more
-- (the raw cell of a deleted row, whatever it parsed to).
delete from staging.phone_parses as parses
where
    parses.e164 in (select doomed_numbers.e164 from doomed_numbers)
    or not exists (
        select 1 from staging.contact_rows as staged
        where staged.batch_id = parses.batch_id and staged.phone_raw = parses.phone_raw
    )
