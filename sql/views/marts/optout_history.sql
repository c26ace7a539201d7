-- One row per bulk opt-out file for analysts: counts only, no personal data.
create or replace view marts.optout_history as
select
    batch_id,
    file_name,
    scope,
    source,
    method,
    lines_read,
    rows_matched,
    rows_suppressed_unmatched,
    rows_invalid,
    contacts_matched,
    events_appended,
    applied_at,
    dag_id,
    run_id
from ops.optout_batches
