-- Which macro and view files the warehouse was last given (a digest of their names and text):
-- a connection re-creates them only when the files changed. Exists before any migration.
create table if not exists ops.schema_definitions (
    digest     varchar not null,
    applied_at timestamptz not null default current_timestamp
)
