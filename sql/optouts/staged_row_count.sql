select count(*) as rows_staged
from staging.optout_rows
where batch_id = $batch_id
