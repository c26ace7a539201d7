-- Who imported one batch (four eyes: that person may not approve it).
select imported_by
from ops.batches
where batch_id = $batch_id
