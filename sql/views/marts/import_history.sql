-- One row per import batch for analysts: what came in, when, and how it ended.
create or replace view marts.import_history as
select
    batch_id,
    file_name,
    file_format,
    list_names,
    channel,
    default_country,
    policy_name,
    status,
    lines_read,
    rows_loaded,
    rows_rejected,
    rows_warned,
    duplicates_removed,
    new_contacts,
    merged_contacts,
    round(100.0 * rows_rejected / nullif(lines_read, 0), 1) as rejected_pct,
    staged_at,
    merged_at,
    dag_id,
    run_id
from ops.batches
