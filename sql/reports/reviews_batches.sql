-- The reviews page: contact batches with their counts and their latest decision (what, by whom,
-- when, why), held batches first, then newest first; one status ($status) or every one (null).
-- Counts, decisions and file names only.
with

latest_decision as (
    select
        decisions.batch_id,
        arg_max(decisions.decision, decisions.decided_at) as decision,
        arg_max(decisions.decided_by, decisions.decided_at) as decided_by,
        arg_max(decisions.reason, decisions.decided_at) as reason,
        max(decisions.decided_at) as decided_at
    from ops.batch_decisions as decisions
    group by decisions.batch_id
)

select
    batches.batch_id,
    batches.file_name,
    batches.list_names,
    batches.status,
    batches.lines_read,
    batches.rows_loaded,
    batches.rows_rejected,
    latest_decision.decision,
    latest_decision.decided_by,
    latest_decision.reason,
    strftime(batches.staged_at, '%Y-%m-%d %H:%M') as received_at,
    strftime(latest_decision.decided_at, '%Y-%m-%d %H:%M') as decided_at
from ops.batches as batches
left join latest_decision on batches.batch_id = latest_decision.batch_id
where $status is null or batches.status = $status
order by batches.status = 'awaiting_review' desc, batches.batch_id desc
limit $max_rows
