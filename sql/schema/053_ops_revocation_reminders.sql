-- Which undecided possible revocations the reviewers were told about, at which clock level
-- (near_limit, then over_limit): a reminder goes out once per message and level.
-- key: (batch_id, row_number, clock) (no constraint: DuckLake has none; the statements that write keep it)
create table if not exists ops.revocation_reminders (
    batch_id   bigint not null,
    row_number bigint not null,
    clock      varchar not null,  -- near_limit | over_limit
    told_at    timestamptz not null
)
