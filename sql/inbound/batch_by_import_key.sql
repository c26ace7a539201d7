-- An export already applied under the same settings (same import key), if any.
select
    batch_id,
    status,
    lines_read
from ops.inbound_batches
where import_key = $import_key
