-- The merge's scratch table of the batch's opt-ins (merge/batch_opt_ins_create).
drop table if exists batch_opt_ins
