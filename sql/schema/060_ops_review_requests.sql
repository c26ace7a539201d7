-- Every review request a batch_review run made: which batch, which run asks, when. A later run
-- asks only about held batches with no request from a run still going (see
-- optline.contacts.review_requests). Append-only; a batch asked again (its run ended without
-- an answer recorded) gets a second row.
-- key: (batch_id, dag_id, run_id) (no constraint: DuckLake has none; the statements that write keep it)
create table if not exists ops.review_requests (
    batch_id     bigint not null,
    dag_id       varchar not null,
    run_id       varchar not null,
    requested_at timestamptz not null default current_timestamp
)
