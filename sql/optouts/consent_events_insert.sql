-- One opt-out event per number and scope of the file (the first row that names it), with
-- the contact when exactly one matched contact has that number. Numbered from $first_id by row,
-- scope and number (optline.ids, `consent_event_id`).
insert into core.consent_events (
    event_id, number_hmac, scope, kind, effective_at, source, method, contact_id, batch_id, row_number, dag_id, run_id
)
with

suppressions as (
    select
        batch_id,
        row_number,
        scope,
        opted_out_at,
        matches,
        unnest(numbers) as e164
    from staging.optout_outcomes
    where batch_id = $batch_id and outcome <> 'invalid'
),

first_per_number as (
    select *
    from suppressions
    qualify row_number() over (partition by e164, scope order by row_number) = 1
),

with_contact as (
    select
        first_per_number.*,
        list_filter(first_per_number.matches, m -> m.e164 = first_per_number.e164) as at_number
    from first_per_number
)

select
    $first_id + row_number() over (order by with_contact.row_number, with_contact.scope, with_contact.e164) - 1,
    numbers.number_hmac,
    with_contact.scope,
    'opt_out',
    with_contact.opted_out_at,
    batches.source,
    batches.method,
    case when len(with_contact.at_number) = 1 then with_contact.at_number[1].contact_id end,
    with_contact.batch_id,
    with_contact.row_number,
    batches.dag_id,
    batches.run_id
from with_contact
inner join staging.optout_numbers as numbers
    on with_contact.batch_id = numbers.batch_id and with_contact.e164 = numbers.e164
inner join ops.optout_batches as batches on with_contact.batch_id = batches.batch_id
order by with_contact.row_number, with_contact.scope, with_contact.e164
