-- A queued message that must never go (its number opted out or was suspended after it was queued).
update msg.outbox
set
    status = 'cancelled',
    status_reason = $reason,
    finished_at = $now,
    updated_at = $now
where outbox_id = $outbox_id and status = 'queued'
