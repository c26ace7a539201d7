-- Every staged row of a batch: the partial rows of a staging that failed or was killed.
delete from staging.contact_rows
where batch_id = $batch_id
