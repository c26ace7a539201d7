-- The scratch table of phones/work_create.
drop table if exists phone_work
