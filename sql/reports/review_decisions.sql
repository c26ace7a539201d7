select
    strftime(decided_at, '%Y-%m-%d %H:%M:%S') as decided_at,
    decision,
    decided_by,
    reason
from ops.batch_decisions
where batch_id = $batch_id
order by decided_at, decision
