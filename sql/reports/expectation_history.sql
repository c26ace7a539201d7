-- The expectation history page: every expectation's result on each of the newest $max_batches
-- batches that ran a suite (contact, opt-out or inbound files), newest batch first. An
-- expectation result holds counts, shares and settings only, never a row's value.
with

batch_files as (
    select
        contact_batches.batch_id,
        contact_batches.file_name,
        'contacts' as kind
    from ops.batches as contact_batches
    union all
    select
        optout_batches.batch_id,
        optout_batches.file_name,
        'opt-outs' as kind
    from ops.optout_batches as optout_batches
    union all
    select
        inbound_batches.batch_id,
        inbound_batches.file_name,
        'inbound' as kind
    from ops.inbound_batches as inbound_batches
),

newest_batches as (
    select distinct validated.batch_id
    from ops.expectation_results as validated
    order by validated.batch_id desc
    limit $max_batches
)

select
    results.suite_name,
    results.expectation_type,
    results.column_name,
    results.severity,
    results.description,
    results.batch_id,
    batch_files.file_name,
    batch_files.kind,
    results.success,
    results.observed_value,
    results.element_count,
    results.unexpected_count,
    results.unexpected_percent,
    results.kwargs,
    strftime(results.validated_at, '%Y-%m-%d %H:%M') as validated_at
from ops.expectation_results as results
inner join newest_batches on results.batch_id = newest_batches.batch_id
left join batch_files on results.batch_id = batch_files.batch_id
order by
    results.suite_name asc,
    case results.severity when 'critical' then 0 when 'review' then 1 else 2 end asc,
    results.description asc,
    results.expectation_type asc,
    results.column_name asc,
    results.batch_id desc
