-- The numbers the ledger suppresses, per channel: core.consent_state where suppressed (an
-- opt-out covering the channel, or `all`, not followed by a resubscribe covering it), worked out
-- from the opt-out and resubscribe events alone, the only ones suppression depends on. The
-- ledger's bulk is the opt-in event of every imported contact, in files of their own whose
-- statistics let the scan skip them: a check or a validation reads this in milliseconds however
-- large the ledger (reading every event of the numbers that ever opted out scanned the whole
-- ledger: ~0.1 s per 1M events, each check range and each validation).
-- tests/optline/consent/test_ledger_properties.py holds it equal to core.consent_state.
create or replace view core.suppressed_numbers as
with

channels as (
    select unnest(['sms', 'whatsapp']) as channel
),

events as (
    select
        consent_events.number_hmac,
        consent_events.scope,
        consent_events.kind,
        consent_events.effective_at
    from core.consent_events as consent_events
    where consent_events.kind in ('opt_out', 'resubscribe')
),

per_channel as (
    select
        events.number_hmac,
        channels.channel,
        max(events.effective_at) filter (where events.kind = 'opt_out') as opted_out_at,
        max(events.effective_at) filter (where events.kind = 'resubscribe') as resubscribed_at
    from events
    inner join channels on events.scope in (channels.channel, 'all')
    group by events.number_hmac, channels.channel
)

select
    number_hmac,
    channel
from per_channel
where opted_out_at is not null and (resubscribed_at is null or resubscribed_at <= opted_out_at)
