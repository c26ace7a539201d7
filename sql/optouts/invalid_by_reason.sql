select
    reason_code,
    count(*) as row_count
from staging.optout_outcomes
where batch_id = $batch_id and outcome = 'invalid'
group by reason_code
order by reason_code
