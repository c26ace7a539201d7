-- The consent ledger gets one opt-in event per accepted row, with its evidence.
insert into core.consent_events (
    e164, scope, kind, effective_at, source, method, contact_id, batch_id, row_number, dag_id, run_id
)
select
    outcomes.e164,
    batches.channel,
    'opt_in',
    coalesce(outcomes.opted_in_at, batches.as_of),
    $consent_source,
    $consent_method,
    outcomes.contact_id,
    outcomes.batch_id,
    outcomes.row_number,
    batches.dag_id,
    batches.run_id
from staging.row_outcomes as outcomes
inner join ops.batches as batches on batches.batch_id = outcomes.batch_id
where outcomes.batch_id = $batch_id and outcomes.accepted
order by outcomes.row_number
