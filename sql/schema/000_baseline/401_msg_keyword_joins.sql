-- The first time each number joined each list by texting its keyword. Kept forever (keyed
-- by number HMAC, like the ledger) so that the auto-welcome goes out only the first time.
-- key: (list_id, number_hmac) (no constraint: DuckLake has none; the statements that write keep it)
create table if not exists msg.keyword_joins (
    list_id         bigint not null,
    number_hmac     varchar not null,
    first_joined_at timestamptz not null,
    batch_id        bigint not null,
    row_number      bigint not null
)
