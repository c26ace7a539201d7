-- Each migration applied (sql/schema/NNN_name[.sql]), by name, once.
create table if not exists ops.schema_migrations (
    name       varchar primary key,
    applied_at timestamptz not null default current_timestamp
)
