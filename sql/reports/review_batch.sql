select
    batch_id,
    file_name,
    list_names,
    channel,
    policy_name,
    status,
    strftime(staged_at, '%Y-%m-%d %H:%M UTC') as staged_at,
    lines_read,
    rows_loaded,
    rows_rejected,
    rows_warned,
    new_contacts,
    merged_contacts,
    dag_id,
    run_id,
    as_of,
    clock_override_by,
    clock_real_time,
    policy_loosened
from ops.batches
where batch_id = $batch_id
