-- The outbox at a glance: messages per kind, status and reason (counts only).
select
    kind,
    status,
    coalesce(status_reason, '') as status_reason,
    count(*) as messages
from msg.outbox
group by all
order by kind, status, status_reason
