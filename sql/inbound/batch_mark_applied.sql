-- The batch is applied: its counts, from its outcomes, and the opt-outs applied late.
update ops.inbound_batches
set
    status = 'applied',
    messages_applied = counts.applied,
    messages_ignored = counts.ignored,
    messages_invalid = counts.invalid,
    messages_review = counts.review,
    opt_outs = counts.opt_outs,
    opt_outs_over_limit = $opt_outs_over_limit,
    applied_at = $applied_at
from (
    select
        count(*) filter (where outcome = 'applied') as applied,
        count(*) filter (where outcome = 'ignored') as ignored,
        count(*) filter (where outcome = 'invalid') as invalid,
        count(*) filter (where outcome = 'review') as review,
        count(*) filter (where action = 'opt_out') as opt_outs
    from staging.inbound_outcomes
    where batch_id = $batch_id
) as counts
where ops.inbound_batches.batch_id = $batch_id
