-- A touch-up file already applied with the same settings (same import key).
select
    batch_id,
    run_id
from ops.touchup_batches
where import_key = $import_key
