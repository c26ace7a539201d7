-- One held possible revocation and its decision, if any: what `decide` checks before writing.
select
    outcomes.batch_id,
    outcomes.row_number,
    outcomes.scope,
    outcomes.received_at,
    outcomes.applied_at,
    messages.number_hmac,
    decisions.decision,
    decisions.decided_by,
    decisions.decided_at
from staging.inbound_outcomes as outcomes
inner join staging.inbound_messages as messages
    on outcomes.batch_id = messages.batch_id and outcomes.row_number = messages.row_number
left join ops.revocation_decisions as decisions
    on outcomes.batch_id = decisions.batch_id and outcomes.row_number = decisions.row_number
where
    outcomes.batch_id = $batch_id
    and outcomes.row_number = $row_number
    and outcomes.outcome = 'review'
    and outcomes.reason = 'possible_revocation'
