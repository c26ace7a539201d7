select
    batch_id,
    file_name,
    scope,
    run_id,
    lines_read,
    rows_matched,
    rows_suppressed_unmatched,
    rows_invalid,
    contacts_matched,
    events_appended
from ops.optout_batches
where batch_id = $batch_id
