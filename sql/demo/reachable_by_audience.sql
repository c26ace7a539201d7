-- The demo's last look: how many members each audience (list, channel, status) can reach.
select
    list_name,
    channel,
    status,
    count(*) as reachable
from marts.audiences
group by list_name, channel, status
order by list_name, channel, status
