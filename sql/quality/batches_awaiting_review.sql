-- Held batches with what a review request shows: counts and the gate's reason, no personal data.
with

latest_gate_reason as (
    select
        batch_id,
        arg_max(reason, decided_at) as reason
    from ops.batch_decisions
    where decision = 'awaiting_review'
    group by batch_id
)

select
    batches.batch_id,
    batches.file_name,
    batches.list_names,
    batches.lines_read,
    batches.rows_loaded,
    batches.rows_rejected,
    latest_gate_reason.reason
from ops.batches as batches
left join latest_gate_reason on batches.batch_id = latest_gate_reason.batch_id
where batches.status = 'awaiting_review'
order by batches.batch_id
