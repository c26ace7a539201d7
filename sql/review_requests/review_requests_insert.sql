-- A run asks a reviewer about a batch (once per run: a retried task records nothing twice).
insert into ops.review_requests (batch_id, dag_id, run_id, requested_at)
values ($batch_id, $dag_id, $run_id, $requested_at)
on conflict do nothing
