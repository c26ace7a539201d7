insert into ops.schema_migrations (name)
values ($migration)
