-- One import batch as its steps see it: where it stands, its clock, its policy and the
-- manifest settings it was staged with (loaded once per step: optline.contacts.batch).
select
    batch_id,
    file_name,
    status,
    policy_name,
    manifest,
    as_of,
    default_country,
    lines_read
from ops.batches
where batch_id = $batch_id
