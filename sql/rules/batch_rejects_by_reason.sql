select
    reason_code,
    count(*) as rows_rejected
from staging.row_outcomes
where batch_id = $batch_id and not accepted
group by reason_code
order by rows_rejected desc, reason_code asc
