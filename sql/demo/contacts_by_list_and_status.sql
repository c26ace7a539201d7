-- The demo prints this example for people to copy and run (optline.demo): short, as typed.
-- noqa: disable=all
select l.name as list, m.status, count(*) as contacts
from core.memberships m join core.lists l using (list_id)
group by all order by list, status
