-- The import batch that staged a file already (same bytes, same manifest settings), if any.
select
    batch_id,
    status,
    lines_read,
    run_id
from ops.batches
where import_key = $import_key
