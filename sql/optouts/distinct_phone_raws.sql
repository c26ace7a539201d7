-- The distinct raw numbers of an opt-out file, parsed once each.
select distinct phone_raw
from staging.optout_rows
where batch_id = $batch_id and phone_raw is not null
order by phone_raw
