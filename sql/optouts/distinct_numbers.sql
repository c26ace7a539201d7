-- Every number a valid row of the batch suppresses (parsed, or a matched contact's).
with

suppressed as (
    select unnest(numbers) as e164
    from staging.optout_outcomes
    where batch_id = $batch_id
)

select distinct e164
from suppressed
order by e164
