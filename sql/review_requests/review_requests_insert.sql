-- A run asks a reviewer about a batch (once per run: a retried task records nothing twice).
insert into ops.review_requests (batch_id, dag_id, run_id, requested_at)
select
    $batch_id,
    $dag_id,
    $run_id,
    $requested_at
where not exists (
    select 1 from ops.review_requests as asked
    where asked.batch_id = $batch_id and asked.dag_id = $dag_id and asked.run_id = $run_id
)
