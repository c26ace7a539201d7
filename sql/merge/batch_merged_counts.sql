-- What a merged batch brought: the contacts it created and the existing ones it updated.
select
    new_contacts,
    merged_contacts
from ops.batches
where batch_id = $batch_id
