-- The deletion's scratch table of opt-out rows (deletion/doomed_optout_rows_create).
drop table if exists doomed_optout_rows
