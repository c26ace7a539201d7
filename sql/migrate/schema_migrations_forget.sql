-- The older migrations a squashing one replaces: their files are gone, their rows go with them.
delete from ops.schema_migrations
where list_contains($replaced, name)
