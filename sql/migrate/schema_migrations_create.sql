-- Each migration applied (sql/schema/NNN_name[.sql]), by name, once.
create table if not exists ops.schema_migrations (
    name       varchar not null,  -- once: migrate records a name only where it is missing
    applied_at timestamptz not null default current_timestamp
)
