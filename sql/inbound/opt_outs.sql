-- The batch's opt-outs, in the order applied, for the business-days report.
select
    outcomes.row_number,
    messages.line_number,
    messages.e164,
    outcomes.keyword,
    outcomes.scope,
    outcomes.received_at,
    outcomes.applied_at
from staging.inbound_outcomes as outcomes
inner join staging.inbound_messages as messages
    on outcomes.batch_id = messages.batch_id and outcomes.row_number = messages.row_number
where outcomes.batch_id = $batch_id and outcomes.action = 'opt_out'
order by outcomes.apply_order
