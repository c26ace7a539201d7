-- The guard's one row.
insert into ops.write_guard (turns)
select 0 as turns
where not exists (select 1 from ops.write_guard)
