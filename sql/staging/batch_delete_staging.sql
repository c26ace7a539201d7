-- The batch row of a staging that failed (a malformed file): only while it is `staging`.
delete from ops.batches
where batch_id = $batch_id and status = 'staging'
