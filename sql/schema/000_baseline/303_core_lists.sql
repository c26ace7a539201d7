-- key: (list_id); unique: (name_key) (no constraint: DuckLake has none; the statements that write keep it)
create table if not exists core.lists (
    list_id        bigint not null,
    name           varchar not null,
    name_key       varchar not null,  -- lower(trim(name)): list names are unique, case-insensitive
    first_batch_id bigint not null,
    created_at     timestamptz not null default current_timestamp
)
