-- The batch's possible revocations (outcome `review`), oldest first, for a person to decide:
-- the report's list. The message is named by batch and row (its body stays in the warehouse).
select
    outcomes.row_number,
    messages.line_number,
    messages.e164,
    messages.revocation_rule as rule,
    outcomes.keyword,
    outcomes.scope,
    outcomes.received_at,
    outcomes.applied_at
from staging.inbound_outcomes as outcomes
inner join staging.inbound_messages as messages
    on outcomes.batch_id = messages.batch_id and outcomes.row_number = messages.row_number
where outcomes.batch_id = $batch_id and outcomes.outcome = 'review'
order by outcomes.apply_order
