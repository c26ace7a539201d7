-- How many contact batches are in each status: the reviews page's status filter.
select
    status,
    count(*) as batches
from ops.batches
group by status
order by status
