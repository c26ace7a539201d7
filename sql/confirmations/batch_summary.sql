-- One web-confirmation batch: file, channel, clock and counts (no personal data).
select
    batch_id,
    file_name,
    channel,
    list_name,
    source,
    as_of,
    lines_read,
    confirmed,
    ignored,
    invalid,
    memberships_confirmed,
    confirm_by
from ops.confirmation_batches
where batch_id = $batch_id
