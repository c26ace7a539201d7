-- The batch's rows by outcome and reason (counts only).
select
    outcome,
    reason,
    count(*) as lines
from staging.web_confirmations
where batch_id = $batch_id
group by all
order by all
