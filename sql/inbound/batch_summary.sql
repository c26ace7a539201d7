-- One applied batch's file and counts (no personal data).
select
    batch_id,
    file_name,
    channel,
    status,
    lines_read,
    messages_applied,
    messages_ignored,
    messages_invalid,
    coalesce(messages_review, 0) as messages_review,
    opt_outs,
    opt_outs_over_limit,
    applied_at
from ops.inbound_batches
where batch_id = $batch_id
