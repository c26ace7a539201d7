-- Current consent per number and channel, derived from the ledger. A number is suppressed
-- on a channel when an opt-out covering it (its channel, or `all`) is not followed by a
-- resubscribe covering it: imported opt-ins never lift an opt-out.
create or replace view core.consent_state as
with

channels as (
    select unnest(['sms', 'whatsapp']) as channel
),

per_channel as (
    select
        events.number_hmac,
        channels.channel,
        max(events.effective_at) filter (where events.kind = 'opt_out') as opted_out_at,
        max(events.effective_at) filter (where events.kind = 'resubscribe') as resubscribed_at,
        max(events.effective_at) filter (where events.kind in ('opt_in', 'resubscribe')) as opted_in_at
    from core.consent_events as events
    inner join channels on events.scope in (channels.channel, 'all')
    group by events.number_hmac, channels.channel
)

select
    number_hmac,
    channel,
    opted_out_at,
    resubscribed_at,
    opted_in_at,
    opted_out_at is not null and (resubscribed_at is null or resubscribed_at <= opted_out_at) as suppressed
from per_channel
