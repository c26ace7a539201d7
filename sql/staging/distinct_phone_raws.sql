-- The distinct raw phone values of a batch not parsed yet (Excel-mangled values are
-- rejected by the rules before parsing matters, but are parsed like the rest).
select distinct contact_rows.phone_raw
from staging.contact_rows as contact_rows
where
    contact_rows.batch_id = $batch_id
    and contact_rows.phone_raw is not null
    and not exists (
        select 1 from staging.phone_parses as parses
        where parses.batch_id = contact_rows.batch_id and parses.phone_raw = contact_rows.phone_raw
    )
order by contact_rows.phone_raw
