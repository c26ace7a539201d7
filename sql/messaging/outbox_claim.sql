-- Claim a queued message for one provider call, committed before the call: from here until
-- its outcome is recorded, a crash leaves it `claimed` for reconciliation, never resent blind.
update msg.outbox
set
    status = 'claimed',
    attempts = attempts + 1,
    claim_token = $claim_token,
    claimed_at = $now,
    provider = $provider,
    status_reason = null,
    updated_at = $now
where outbox_id = $outbox_id and status = 'queued'
returning attempts
