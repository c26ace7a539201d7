-- The batch's invalid rows with their reason and cells as read, for the report (which masks them;
-- a token is staged only as its last 4 characters).
select
    row_number,
    line_number,
    reason,
    phone_raw,
    confirmed_at_raw,
    list_raw,
    token_tail
from staging.web_confirmations
where batch_id = $batch_id and outcome = 'invalid'
order by row_number
