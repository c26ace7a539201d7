update ops.batches
set
    status = 'checked',
    checked_at = current_timestamp,
    rows_loaded = $rows_loaded,
    rows_rejected = $rows_rejected,
    rows_warned = $rows_warned,
    duplicates_removed = $duplicates_removed,
    rule_parameters = $rule_parameters
where batch_id = $batch_id
