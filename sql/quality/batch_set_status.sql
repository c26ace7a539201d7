update ops.batches
set status = $status
where batch_id = $batch_id
