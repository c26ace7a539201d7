-- Every row of a touch-up file with its outcome, for the report (the number already masked).
select
    row_number,
    line_number,
    action_raw,
    list_name,
    tag,
    phone_masked,
    opted_in_at,
    source,
    outcome,
    reason,
    reason_detail
from staging.touchup_rows
where batch_id = $batch_id
order by row_number
