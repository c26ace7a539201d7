-- A squashing migration (e.g. 000_baseline) stands for the older ones it replaces: recorded as
-- applied when the last of them was.
insert into ops.schema_migrations (name, applied_at)
select
    $migration as name,
    max(applied_at) as applied_at
from ops.schema_migrations
where list_contains($replaced, name)
