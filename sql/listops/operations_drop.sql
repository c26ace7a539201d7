-- The file's scratch table of operations (listops/operations_create).
drop table if exists list_operations
