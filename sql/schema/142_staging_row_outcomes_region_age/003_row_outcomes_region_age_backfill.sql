-- The region and stated age of the outcomes of batches still before the expectation gate
-- (staged part-way, or checked), which the expectations will read; a batch past the gate is
-- validated already and keeps nulls.
update staging.row_outcomes as outcomes
set
    region = filled.region,
    age_years = filled.age_years
from (
    select
        rows.batch_id,
        rows.row_number,
        parses.region,
        try_cast(rows.age_raw as integer) as age_years
    from staging.contact_rows as rows
    inner join ops.batches as batches on rows.batch_id = batches.batch_id
    left join staging.phone_parses as parses
        on rows.batch_id = parses.batch_id and rows.phone_raw = parses.phone_raw
    where batches.status in ('staged', 'checked')
) as filled
where outcomes.batch_id = filled.batch_id and outcomes.row_number = filled.row_number
