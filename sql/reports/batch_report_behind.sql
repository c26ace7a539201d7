-- Whether a batch's review report is older than its latest status change (its merge, or a
-- gate or reviewer decision), or missing: the step that changed it died before its report.
with last_decision as (
    select max(decisions.decided_at) as decided_at
    from ops.batch_decisions as decisions
    where decisions.batch_id = $batch_id
),

review_report as (
    select reports.written_at
    from ops.reports as reports
    where reports.batch_id = $batch_id and reports.kind = 'review_html'
),

changed as (
    select
        batches.status,
        greatest(batches.merged_at, last_decision.decided_at) as changed_at
    from ops.batches as batches
    cross join last_decision
    where batches.batch_id = $batch_id
)

select
    changed.status,
    changed.changed_at,
    review_report.written_at,
    coalesce(review_report.written_at < changed.changed_at, true) as behind
from changed
left join review_report on true
