-- Queued messages that wait: outside the recipient's hours, or over a per-24-hours cap; each
-- with its own time and reason, one statement for a batch.
update msg.outbox
set
    not_before = defers.not_before,
    status_reason = defers.reason,
    updated_at = $now
from (
    select
        unnest($outbox_ids::bigint[]) as outbox_id,
        unnest($not_befores::timestamptz[]) as not_before,
        unnest($reasons::varchar[]) as reason
) as defers
where msg.outbox.outbox_id = defers.outbox_id and msg.outbox.status = 'queued'
