-- Queued messages that must never go (the number opted out or was suspended after they were
-- queued), each with its reason: one statement for a batch.
update msg.outbox
set
    status = 'cancelled',
    status_reason = cancels.reason,
    finished_at = $now,
    updated_at = $now
from (
    select
        unnest($outbox_ids::bigint[]) as outbox_id,
        unnest($reasons::varchar[]) as reason
) as cancels
where msg.outbox.outbox_id = cancels.outbox_id and msg.outbox.status = 'queued'
