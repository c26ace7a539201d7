-- The file's identity on disk when it was staged (device, inode, size, modification and change
-- times: optline.intake.identity.file_stat): a file found again unchanged is known by it
-- without reading its bytes again. Null for batches staged before this column.
alter table ops.batches add column if not exists file_stat varchar
