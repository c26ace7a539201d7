-- A data subject's export: the number's rows in web-confirmation exports, with file and line.
select
    confirmations.batch_id,
    batches.file_name,
    confirmations.line_number,
    confirmations.row_number,
    confirmations.phone_raw,
    confirmations.confirmed_at,
    confirmations.list_name,
    confirmations.outcome,
    confirmations.reason
from staging.web_confirmations as confirmations
left join ops.confirmation_batches as batches on confirmations.batch_id = batches.batch_id
where confirmations.e164 = $e164 or confirmations.number_hmac = $number_hmac
order by confirmations.batch_id, confirmations.row_number
