-- Claim a batch of queued messages for their provider calls, in one transaction committed
-- before any call: from here until its outcome is recorded, a crash leaves each message
-- `claimed` for reconciliation, never resent blind. Each claim has its own token, the batch's
-- token and the message's id. A message is claimed only with the attempts it had when it was
-- picked (one claimed, tried and queued again in between, by another dispatcher, is left for
-- the next pick) and to the number it was picked for (an erased one is not claimed), so when
-- every message picked was claimed the dispatcher knows each claim without reading it back;
-- when fewer were, it reads them back by the batch's token (messaging/outbox_claimed_by_token:
-- DuckLake has no RETURNING). The ledger and the
-- suspensions are read again here, in the claiming transaction (the writer's turn: no ledger
-- write can land in it), so a STOP committed after the batch was picked is never sent: such a
-- message stays queued and the next pick cancels it with its reason.
update msg.outbox
set
    status = 'claimed',
    attempts = msg.outbox.attempts + 1,
    claim_token = $claim_token || ':' || msg.outbox.outbox_id,
    claimed_at = $now,
    provider = $provider,
    status_reason = null,
    updated_at = $now
from (
    with

    picked as (
        select
            unnest($outbox_ids::bigint[]) as outbox_id,
            unnest($attempts::integer[]) as attempts,
            unnest($number_hmacs::varchar[]) as number_hmac,
            unnest($channels::varchar[]) as channel
    ),

    suppressed as (
        select
            consent.number_hmac,
            consent.channel
        from core.consent_state_of($number_hmacs::varchar[]) as consent
        where consent.suppressed
    ),

    suspended as (
        select events.number_hmac
        from core.number_status_events as events
        where events.number_hmac in (select picked.number_hmac from picked)
        group by events.number_hmac
        having arg_max(events.action, events.effective_at) = 'suspend'
    )

    select
        picked.outbox_id,
        picked.attempts,
        picked.number_hmac
    from picked
    left join suppressed on picked.number_hmac = suppressed.number_hmac and picked.channel = suppressed.channel
    left join suspended on picked.number_hmac = suspended.number_hmac
    where suppressed.number_hmac is null and suspended.number_hmac is null
) as allowed
where
    msg.outbox.outbox_id = allowed.outbox_id
    and msg.outbox.attempts = allowed.attempts
    and msg.outbox.number_hmac = allowed.number_hmac
    and msg.outbox.status = 'queued'
