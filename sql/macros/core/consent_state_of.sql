-- Current consent per number and channel, derived from the ledger, for the numbers in
-- number_hmacs (null: every number). A number is suppressed on a channel when an opt-out
-- covering it (its channel, or `all`) is not followed by a resubscribe covering it: imported
-- opt-ins never lift an opt-out. The numbers are picked before the ledger is aggregated, so the
-- dispatcher decides a batch's few hundred numbers without aggregating the whole ledger (a
-- filter on the view core.consent_state, which is this over every number, cannot reach below
-- its aggregation).
create or replace macro core.consent_state_of(number_hmacs) as table
    with

    channels as (
        select unnest(['sms', 'whatsapp']) as channel
    ),

    events as (
        select
            number_hmac,
            scope,
            kind,
            effective_at
        from core.consent_events
        where number_hmacs is null or number_hmac in (select unnest(number_hmacs))
    ),

    per_channel as (
        select
            events.number_hmac,
            channels.channel,
            max(events.effective_at) filter (where events.kind = 'opt_out') as opted_out_at,
            max(events.effective_at) filter (where events.kind = 'resubscribe') as resubscribed_at,
            max(events.effective_at) filter (where events.kind in ('opt_in', 'resubscribe')) as opted_in_at
        from events
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
