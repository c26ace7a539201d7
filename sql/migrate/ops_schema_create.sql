-- The schema of Optline's own bookkeeping; it holds ops.schema_migrations, made before any migration.
create schema if not exists ops
