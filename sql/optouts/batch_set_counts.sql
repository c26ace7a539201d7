update ops.optout_batches
set
    lines_read = $lines_read,
    rows_matched = $rows_matched,
    rows_suppressed_unmatched = $rows_suppressed_unmatched,
    rows_invalid = $rows_invalid,
    contacts_matched = $contacts_matched,
    events_appended = $events_appended
where batch_id = $batch_id
