update ops.touchup_batches
set
    rows_applied = $rows_applied,
    rows_rejected = $rows_rejected,
    members_pending = $members_pending,
    members_active = $members_active,
    events_appended = $events_appended
where batch_id = $batch_id
