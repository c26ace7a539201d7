-- key: (tag_id); unique: (name_key) (no constraint: DuckLake has none; the statements that write keep it)
create table if not exists core.tags (
    tag_id     bigint not null,
    name       varchar not null,
    name_key   varchar not null,
    created_at timestamptz not null default current_timestamp
)
