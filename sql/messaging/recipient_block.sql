-- Why a queued message may not go now, read at send time (null: it may): its number opted out
-- of the channel (the consent ledger), an operator suspended it, or its HMAC is unknown.
with

target as (
    select number_hmac, channel
    from msg.outbox
    where outbox_id = $outbox_id
),

suppressed as (
    select consent.number_hmac
    from core.consent_state as consent
    inner join target on target.number_hmac = consent.number_hmac and target.channel = consent.channel
    where consent.suppressed
),

suspended as (
    select events.number_hmac
    from core.number_status_events as events
    inner join target on target.number_hmac = events.number_hmac
    group by events.number_hmac
    having arg_max(events.action, events.effective_at) = 'suspend'
)

select
    case
        when target.number_hmac is null then 'no_number_hmac'
        when exists (select 1 from suppressed) then 'suppressed'
        when exists (select 1 from suspended) then 'suspended'
    end as reason
from target
