-- The deletion's scratch table of staged contact rows (deletion/doomed_rows_create).
drop table if exists doomed_rows
