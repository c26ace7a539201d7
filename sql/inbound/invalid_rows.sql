-- The batch's invalid rows with their reason (no values), for the report.
select
    outcomes.row_number,
    messages.line_number,
    outcomes.reason
from staging.inbound_outcomes as outcomes
inner join staging.inbound_messages as messages
    on outcomes.batch_id = messages.batch_id and outcomes.row_number = messages.row_number
where outcomes.batch_id = $batch_id and outcomes.outcome = 'invalid'
order by outcomes.row_number
