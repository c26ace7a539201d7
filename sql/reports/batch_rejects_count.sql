-- How many rows a batch rejected (rejects.csv holds the first of them, up to its cap).
select count(*) as rows_rejected
from staging.row_outcomes
where batch_id = $batch_id and not accepted
