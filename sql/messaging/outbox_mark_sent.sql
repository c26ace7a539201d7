-- The provider took the message (the call answered, or reconciliation found it).
update msg.outbox
set
    status = 'sent',
    provider_message_id = $provider_message_id,
    sent_at = $now,
    finished_at = $now,
    last_error = null,
    updated_at = $now
where outbox_id = $outbox_id and status = 'claimed' and claim_token = $claim_token
