-- Rows per outcome, action and reason (a row left without an outcome counts under null).
select
    outcome,
    action,
    reason,
    count(*) as lines
from staging.touchup_rows
where batch_id = $batch_id
group by outcome, action, reason
order by outcome, action, reason
