-- The batches whose opt-out rows deletion/optout_rows_scrub is about to scrub (read before it,
-- in the deletion's transaction): their reports are written again.
select distinct optout_rows.batch_id
from staging.optout_rows as optout_rows
inner join doomed_optout_rows as doomed
    on optout_rows.batch_id = doomed.batch_id and optout_rows.row_number = doomed.row_number
order by optout_rows.batch_id
