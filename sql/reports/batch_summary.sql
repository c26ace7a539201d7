select
    batch_id,
    file_name,
    status,
    lines_read,
    rows_loaded,
    rows_rejected,
    rows_warned,
    duplicates_removed,
    new_contacts,
    merged_contacts
from marts.import_history
where batch_id = $batch_id
