-- The latest review request of each batch still awaiting review: the run that asked.
with

held as (
    select batch_id
    from ops.batches
    where status = 'awaiting_review'
)

select
    requests.batch_id,
    arg_max(requests.dag_id, requests.requested_at) as dag_id,
    arg_max(requests.run_id, requests.requested_at) as run_id
from ops.review_requests as requests
inner join held on requests.batch_id = held.batch_id
group by requests.batch_id
order by requests.batch_id
