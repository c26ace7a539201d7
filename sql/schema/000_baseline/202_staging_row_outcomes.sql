-- The verdict on every staged row: accepted (maybe with warnings) or rejected with a reason.
-- key: (batch_id, row_number) (no constraint: DuckLake has none; the statements that write keep it)
create table if not exists staging.row_outcomes (
    batch_id        bigint not null,
    row_number      bigint not null,
    accepted        boolean not null,
    reason_code     varchar,         -- first (most important) reason a row was rejected
    reason_column   varchar,         -- the column the reason is about
    reason_detail   varchar,         -- a message for people, without the value itself
    reasons         varchar[] not null,  -- every rule the row failed, most important first
    warnings        varchar[] not null,  -- rules that only warn under the policy
    e164            varchar,
    first_name      varchar,
    last_name       varchar,
    email           varchar,
    dob             date,
    opted_in_at     timestamptz,
    last_contact_at timestamptz,
    contact_id      bigint          -- set when the batch merges
)
