-- The doomed staged rows of every batch; returns each row's batch, whose reports are written again.
delete from staging.contact_rows as staged
where
    exists (
        select 1 from doomed_rows as doomed
        where doomed.batch_id = staged.batch_id and doomed.row_number = staged.row_number
    )
returning staged.batch_id
