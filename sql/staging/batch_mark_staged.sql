-- Staging's last commit: the rows the reader counted, and the batch is complete.
update ops.batches
set
    lines_read = $lines_read,
    status = 'staged'
where batch_id = $batch_id and status = 'staging'
