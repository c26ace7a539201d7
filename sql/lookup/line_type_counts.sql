-- A batch's line-type lookups as they stand: numbers it needs answers for, answered by a
-- request of this batch, answered by the cache (a fresh answer another batch or an earlier
-- check asked for), and left without a fresh answer.
with

numbers as (
    select
        number_hmac,
        checked_at is not null and checked_at >= $fresh_since as fresh,
        asked_by_batch_id = $batch_id as asked_by_this_batch
    from ops.line_type_numbers($batch_id, $countries::varchar[], $reject_types::varchar[])
)

select
    count(*) as numbers,
    count(*) filter (where fresh and asked_by_this_batch) as looked_up,
    count(*) filter (where fresh and not coalesce(asked_by_this_batch, false)) as from_cache,
    count(*) filter (where not fresh) as unavailable
from numbers
