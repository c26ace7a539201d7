-- The macro and view files applied now (their digest): one row per time they changed.
insert into ops.schema_definitions (digest)
values ($digest)
