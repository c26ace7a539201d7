create table if not exists core.tags (
    tag_id     bigint primary key default nextval('core.tag_id_seq'),
    name       varchar not null,
    name_key   varchar not null unique,
    created_at timestamptz not null default current_timestamp
)
