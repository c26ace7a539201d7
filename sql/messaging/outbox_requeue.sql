-- The provider certainly does not have the message (refused it, or reconciliation found
-- nothing): back in the queue, not before $not_before.
update msg.outbox
set
    status = 'queued',
    not_before = $not_before,
    status_reason = 'retry',
    last_error = $error,
    updated_at = $now
where outbox_id = $outbox_id and status = 'claimed' and claim_token = $claim_token
