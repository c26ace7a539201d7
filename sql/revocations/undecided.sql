-- Every possible revocation no person has decided yet, oldest first (by receipt, else by the
-- time its file was applied). e164 is for masking only: callers never show it.
select
    outcomes.batch_id,
    outcomes.row_number,
    messages.line_number,
    messages.e164,
    messages.revocation_rule as rule,
    outcomes.scope,
    outcomes.received_at,
    outcomes.applied_at
from staging.inbound_outcomes as outcomes
inner join staging.inbound_messages as messages
    on outcomes.batch_id = messages.batch_id and outcomes.row_number = messages.row_number
left join ops.revocation_decisions as decisions
    on outcomes.batch_id = decisions.batch_id and outcomes.row_number = decisions.row_number
where
    outcomes.outcome = 'review'
    and outcomes.reason = 'possible_revocation'
    and decisions.batch_id is null
order by
    coalesce(least(outcomes.received_at, outcomes.applied_at), outcomes.applied_at),
    outcomes.batch_id,
    outcomes.row_number
