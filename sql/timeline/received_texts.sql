-- A number's consent timeline: every text received from it (its intent and keyword, what was
-- done), with the inbound file and line. No message body.
select
    coalesce(outcomes.received_at, outcomes.applied_at) as at,
    'received' as category,
    'text ' || messages.intent as event,
    batches.channel,
    coalesce(messages.keyword || ': ', '') || coalesce(outcomes.outcome || ' ' || outcomes.action, 'not applied')
    || coalesce(' (' || outcomes.reason || ')', '') as detail,
    null::varchar as recorded_by,
    null::bigint as contact_id,
    messages.list_name,
    messages.batch_id,
    messages.row_number,
    batches.file_name,
    messages.line_number
from staging.inbound_messages as messages
inner join ops.inbound_batches as batches on messages.batch_id = batches.batch_id
left join staging.inbound_outcomes as outcomes
    on messages.batch_id = outcomes.batch_id and messages.row_number = outcomes.row_number
where messages.e164 = $e164 or messages.number_hmac = $number_hmac
