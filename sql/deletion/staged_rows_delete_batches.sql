-- The batches whose staged rows deletion/staged_rows_delete is about to delete (read before it,
-- in the deletion's transaction): their reports are written again.
select distinct staged.batch_id
from staging.contact_rows as staged
where
    exists (
        select 1 from doomed_rows as doomed
        where doomed.batch_id = staged.batch_id and doomed.row_number = staged.row_number
    )
order by staged.batch_id
