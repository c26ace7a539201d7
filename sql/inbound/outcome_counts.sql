-- The batch's messages by intent, outcome and reason (counts only).
select
    intent,
    outcome,
    action,
    reason,
    count(*) as messages
from staging.inbound_outcomes
where batch_id = $batch_id
group by all
order by all
