-- A number's consent timeline: every provider call for its messages (send or lookup) and its
-- outcome, with the dispatcher's run.
select
    attempts.finished_at as at,
    'attempt' as category,
    attempts.action || ' ' || attempts.outcome as event,
    outbox.channel,
    'outbox ' || attempts.outbox_id || ', attempt ' || attempts.attempt || ' via ' || attempts.provider
    || coalesce(', HTTP ' || attempts.http_status, '')
    || coalesce(': ' || attempts.error, '') as detail,
    attempts.run_id as recorded_by,
    outbox.contact_id,
    null::varchar as list_name,
    null::bigint as batch_id,
    null::bigint as row_number,
    null::varchar as file_name,
    null::bigint as line_number
from msg.send_attempts as attempts
inner join msg.outbox as outbox on attempts.outbox_id = outbox.outbox_id
where outbox.e164 = $e164 or outbox.number_hmac = $number_hmac
