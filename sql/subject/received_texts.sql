-- A data subject's export: every text received from the number, with its file and line.
select
    messages.batch_id,
    batches.file_name,
    messages.line_number,
    messages.row_number,
    messages.from_raw,
    messages.body,
    messages.received_at_raw,
    messages.intent,
    messages.keyword,
    messages.list_name,
    outcomes.outcome,
    outcomes.action,
    outcomes.reason
from staging.inbound_messages as messages
left join ops.inbound_batches as batches on messages.batch_id = batches.batch_id
left join staging.inbound_outcomes as outcomes
    on messages.batch_id = outcomes.batch_id and messages.row_number = outcomes.row_number
where messages.e164 = $e164 or messages.number_hmac = $number_hmac
order by messages.batch_id, messages.row_number
