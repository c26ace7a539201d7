-- Record how many rows the reader counted (the caller then checks staging holds as many).
update ops.batches
set lines_read = $lines_read
where batch_id = $batch_id
