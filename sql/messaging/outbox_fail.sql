-- A claimed message ends for good: refused permanently, or out of attempts.
update msg.outbox
set
    status = 'failed',
    status_reason = $reason,
    last_error = $error,
    finished_at = $now,
    updated_at = $now
where outbox_id = $outbox_id and status = 'claimed' and claim_token = $claim_token
