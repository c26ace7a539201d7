-- One number's consent now, per channel (sms, whatsapp), from the ledger: whether it is
-- suppressed, and since when; a channel the ledger never mentions is not suppressed.
with

channels as (
    select unnest(['sms', 'whatsapp']) as channel
),

state as (
    select
        channel,
        opted_out_at,
        resubscribed_at,
        opted_in_at,
        suppressed
    from core.consent_state_of([$number_hmac])
)

select
    channels.channel,
    coalesce(state.suppressed, false) as suppressed,
    state.opted_out_at,
    state.resubscribed_at,
    state.opted_in_at
from channels
left join state on channels.channel = state.channel
order by channels.channel
