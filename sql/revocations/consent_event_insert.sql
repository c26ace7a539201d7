-- A possible revocation decided `opt_out`: an opt_out event in the ledger for the message's
-- number (by its HMAC, which survives a deletion) on the channel it came in on, effective at
-- the decision time. The event names the message by batch and row; its id is $first_id
-- (optline.ids, `consent_event_id`).
insert into core.consent_events (
    event_id, number_hmac, scope, kind, effective_at, source, method, contact_id, batch_id, row_number, dag_id, run_id
)
with

earliest_contacts as (
    select
        e164,
        min(contact_id) as contact_id
    from core.contacts
    group by e164
)

select
    $first_id + row_number() over (order by outcomes.row_number) - 1,
    messages.number_hmac,
    outcomes.scope,
    'opt_out',
    $decided_at,
    batches.source,
    'reviewed_revocation',
    earliest_contacts.contact_id,
    outcomes.batch_id,
    outcomes.row_number,
    null,
    null
from staging.inbound_outcomes as outcomes
inner join staging.inbound_messages as messages
    on outcomes.batch_id = messages.batch_id and outcomes.row_number = messages.row_number
inner join ops.inbound_batches as batches on outcomes.batch_id = batches.batch_id
left join earliest_contacts on messages.e164 = earliest_contacts.e164
where outcomes.batch_id = $batch_id and outcomes.row_number = $row_number and messages.number_hmac is not null
