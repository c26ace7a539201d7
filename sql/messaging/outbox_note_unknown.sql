-- The call's outcome is unknown (timeout, dropped connection, 5xx): the message stays
-- claimed and is reconciled with the provider before any resend.
update msg.outbox
set
    last_error = $error,
    updated_at = $now
where outbox_id = $outbox_id and status = 'claimed' and claim_token = $claim_token
