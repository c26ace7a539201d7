-- How far the row rules have got on a batch: its last staged row number, and the last row
-- number that has a verdict (the check commits a range of rows at a time, in order).
with

staged as (
    select max(contact_rows.row_number) as last_row
    from staging.contact_rows as contact_rows
    where contact_rows.batch_id = $batch_id
),

checked as (
    select max(outcomes.row_number) as checked_through
    from staging.row_outcomes as outcomes
    where outcomes.batch_id = $batch_id
)

select
    staged.last_row,
    checked.checked_through
from staged
cross join checked
