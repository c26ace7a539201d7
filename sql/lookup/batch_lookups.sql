-- A batch's lookup counts, for its summary and review report.
select
    kind,
    provider,
    numbers,
    looked_up,
    from_cache,
    unavailable,
    action,
    reason,
    recorded_at
from ops.batch_lookups
where batch_id = $batch_id
order by kind
