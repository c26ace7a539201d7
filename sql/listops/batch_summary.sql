select
    batch_id,
    file_name,
    run_id,
    as_of,
    lines_read,
    rows_applied,
    rows_rejected,
    members_pending,
    members_active,
    events_appended
from ops.touchup_batches
where batch_id = $batch_id
