-- Rejected rows per batch and reason, without any personal data.
create or replace view marts.rejects_by_reason as
select
    batches.batch_id,
    batches.file_name,
    outcomes.reason_code,
    count(*) as rows_rejected
from staging.row_outcomes as outcomes
inner join ops.batches as batches on outcomes.batch_id = batches.batch_id
where not outcomes.accepted
group by all
