-- The import batches among $batch_ids that a run other than $run_id staged: the files a second
-- `optline demo` finds already imported, with when and how each ended.
select
    batch_id,
    file_name,
    status,
    staged_at,
    run_id
from marts.import_history
where
    list_contains($batch_ids, batch_id)
    and run_id is distinct from $run_id
order by batch_id
