-- Claim a batch of queued messages for their provider calls, in one transaction committed
-- before any call: from here until its outcome is recorded, a crash leaves each message
-- `claimed` for reconciliation, never resent blind. Each claim has its own token, the batch's
-- token and the message's id; the rows claimed are read back by it
-- (messaging/outbox_claimed_by_token): DuckLake has no RETURNING. The ledger and the suspensions
-- are read again here, in the claiming transaction (the writer's turn: no ledger write can land
-- in it), so a STOP committed after the batch was picked is never sent: such a message stays
-- queued and the next pick cancels it with its reason.
update msg.outbox
set
    status = 'claimed',
    attempts = attempts + 1,
    claim_token = $claim_token || ':' || outbox_id,
    claimed_at = $now,
    provider = $provider,
    status_reason = null,
    updated_at = $now
where
    status = 'queued'
    and outbox_id in (select unnest($outbox_ids::bigint[]) as outbox_id)
    and not exists (
        select 1
        from core.consent_state as consent
        where
            consent.suppressed
            and consent.number_hmac = msg.outbox.number_hmac
            and consent.channel = msg.outbox.channel
    )
    and not exists (
        select 1
        from core.number_status_events as events
        where events.number_hmac = msg.outbox.number_hmac
        group by events.number_hmac
        having arg_max(events.action, events.effective_at) = 'suspend'
    )
