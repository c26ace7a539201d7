-- Each applied add_member row with opt-in evidence is an `opt_in` event in the ledger, per
-- channel it joined (not suppressed), at the evidence's time, with its source, keyed by the
-- number's HMAC, with the lowest contact id at the number on that channel. An opt_in never
-- lifts an opt-out (core.consent_state). Numbered from $first_id by row and channel
-- (optline.ids, `consent_event_id`).
insert into core.consent_events (
    event_id, number_hmac, scope, kind, effective_at, source, method, contact_id, batch_id, row_number, dag_id, run_id
)
with

batch as (
    select
        batch_id,
        dag_id,
        run_id
    from ops.touchup_batches
    where batch_id = $batch_id
),

evidence as (
    select
        touchup_rows.row_number,
        touchup_rows.number_hmac,
        touchup_rows.opted_in_at,
        touchup_rows.source,
        channels.channel,
        min(contacts.contact_id) as contact_id
    from staging.touchup_rows as touchup_rows
    inner join core.phone_numbers as numbers on touchup_rows.number_hmac = numbers.number_hmac
    inner join core.contacts as contacts on numbers.e164 = contacts.e164
    inner join core.contact_channels as channels on contacts.contact_id = channels.contact_id
    left join core.consent_state as consent
        on numbers.number_hmac = consent.number_hmac and channels.channel = consent.channel
    where
        touchup_rows.batch_id = $batch_id
        and touchup_rows.outcome = 'applied'
        and touchup_rows.action = 'add_member'
        and touchup_rows.opted_in_at is not null
        and not coalesce(consent.suppressed, false)
    group by
        touchup_rows.row_number, touchup_rows.number_hmac, touchup_rows.opted_in_at, touchup_rows.source,
        channels.channel
)

select
    $first_id + row_number() over (order by evidence.row_number, evidence.channel) - 1,
    evidence.number_hmac,
    evidence.channel,
    'opt_in',
    evidence.opted_in_at,
    evidence.source,
    'touchup',
    evidence.contact_id,
    batch.batch_id,
    evidence.row_number,
    batch.dag_id,
    batch.run_id
from evidence
cross join batch
order by evidence.row_number, evidence.channel
