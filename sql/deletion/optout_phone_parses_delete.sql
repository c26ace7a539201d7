-- Opt-out parses of a doomed number, and of a raw value no row of its file has any more.
delete from staging.optout_phone_parses as parses
where
    parses.e164 in (select doomed_numbers.e164 from doomed_numbers)
    or not exists (
        select 1 from staging.optout_rows as optout_rows
        where optout_rows.batch_id = parses.batch_id and optout_rows.phone_raw = parses.phone_raw
    )
