-- Who decided what about a batch, and when: the gate's own verdict, a reviewer's answer,
-- or a timeout. Append-only; the batch's status is the latest decision's outcome.
create table if not exists ops.batch_decisions (
    batch_id   bigint not null,
    decision   varchar not null,   -- validated | awaiting_review | approved | refused | rejected
    decided_by varchar not null,   -- 'gate', a reviewer's user name, or 'timeout'
    decided_at timestamptz not null default current_timestamp,
    reason     varchar,            -- e.g. the failed expectations, a reviewer's comment
    dag_id     varchar,
    run_id     varchar
)
