select
    count(*) filter (where accepted) as rows_loaded,
    count(*) filter (where not accepted) as rows_rejected,
    count(*) filter (where accepted and len(warnings) > 0) as rows_warned
from staging.row_outcomes
where batch_id = $batch_id
