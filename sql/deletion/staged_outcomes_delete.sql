-- The verdicts on the doomed staged rows: they hold names, numbers, emails and birth dates.
delete from staging.row_outcomes as outcomes
where exists (
    select 1 from doomed_rows as doomed
    where doomed.batch_id = outcomes.batch_id and doomed.row_number = outcomes.row_number
)
