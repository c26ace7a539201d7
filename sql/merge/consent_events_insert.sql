-- The consent ledger gets one opt-in event per accepted row, with its evidence (and the disclosure
-- the manifest names, $disclosure_id, or null), numbered from $first_id by row (optline.ids,
-- `consent_event_id`).
insert into core.consent_events (
    event_id, number_hmac, scope, kind, effective_at, source, method, contact_id, batch_id, row_number, dag_id, run_id,
    disclosure_id
)
with

numbers as (
    select distinct
        e164,
        number_hmac
    from staging.phone_parses
    where batch_id = $batch_id and e164 is not null
)

select
    $first_id + row_number() over (order by outcomes.row_number) - 1,
    numbers.number_hmac,
    batches.channel,
    'opt_in',
    coalesce(outcomes.opted_in_at, batches.as_of),
    $consent_source,
    $consent_method,
    row_contacts.contact_id,
    outcomes.batch_id,
    outcomes.row_number,
    batches.dag_id,
    batches.run_id,
    cast($disclosure_id as varchar)
from staging.row_outcomes as outcomes
inner join ops.batches as batches on outcomes.batch_id = batches.batch_id
inner join numbers on outcomes.e164 = numbers.e164
inner join staging.row_contacts as row_contacts
    on outcomes.batch_id = row_contacts.batch_id and outcomes.row_number = row_contacts.row_number
where outcomes.batch_id = $batch_id and outcomes.accepted
order by outcomes.row_number
