-- A queued message waits: outside the recipient's hours, or over a per-24-hours cap.
update msg.outbox
set
    not_before = $not_before,
    status_reason = $reason,
    updated_at = $now
where outbox_id = $outbox_id and status = 'queued'
