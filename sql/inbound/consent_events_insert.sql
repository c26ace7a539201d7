-- The ledger gets the batch's opt-outs and resubscribes (START on a suppressed or pending
-- number, and every keyword join), each at the time the message was received, numbered from
-- $first_id in the order they apply (optline.ids, `consent_event_id`).
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
    $first_id + row_number() over (order by outcomes.apply_order, outcomes.row_number) - 1,
    messages.number_hmac,
    outcomes.scope,
    case when outcomes.action = 'opt_out' then 'opt_out' else 'resubscribe' end,
    outcomes.effective_at,
    batches.source,
    outcomes.keyword,
    earliest_contacts.contact_id,
    outcomes.batch_id,
    outcomes.row_number,
    batches.dag_id,
    batches.run_id
from staging.inbound_outcomes as outcomes
inner join staging.inbound_messages as messages
    on outcomes.batch_id = messages.batch_id and outcomes.row_number = messages.row_number
inner join ops.inbound_batches as batches on outcomes.batch_id = batches.batch_id
left join earliest_contacts on messages.e164 = earliest_contacts.e164
where outcomes.batch_id = $batch_id and outcomes.action in ('opt_out', 'resubscribe', 'join')
order by outcomes.apply_order, outcomes.row_number
