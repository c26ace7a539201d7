-- The doomed staged rows of every batch (their batches, whose reports are written again, are
-- read first: deletion/staged_rows_delete_batches).
delete from staging.contact_rows as staged
where
    exists (
        select 1 from doomed_rows as doomed
        where doomed.batch_id = staged.batch_id and doomed.row_number = staged.row_number
    )
