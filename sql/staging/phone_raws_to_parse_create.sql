-- The distinct raw phone values of a batch not parsed yet, numbered in order, so that
-- normalize_batch can read them a page at a time (Excel-mangled values are rejected by the
-- rules before parsing matters, but are parsed like the rest).
create or replace temp table phone_raws_to_parse as
with

batch_raws as (
    select distinct contact_rows.phone_raw
    from staging.contact_rows as contact_rows
    where
        contact_rows.batch_id = $batch_id
        and contact_rows.phone_raw is not null
        and not exists (
            select 1 from staging.phone_parses as parses
            where parses.batch_id = contact_rows.batch_id and parses.phone_raw = contact_rows.phone_raw
        )
)

select
    row_number() over (order by batch_raws.phone_raw) as n,
    batch_raws.phone_raw
from batch_raws
order by n
