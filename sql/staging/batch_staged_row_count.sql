select count(*) as rows_staged
from staging.contact_rows
where batch_id = $batch_id
