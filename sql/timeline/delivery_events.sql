-- A number's consent timeline: each delivery report about its messages, with the delivery file
-- and line it came from.
select
    coalesce(deliveries.reported_at, deliveries.applied_at) as at,
    'delivery' as category,
    deliveries.status as event,
    outbox.channel,
    'outbox ' || deliveries.outbox_id || coalesce(', error ' || deliveries.error_code, '') as detail,
    null::varchar as recorded_by,
    outbox.contact_id,
    null::varchar as list_name,
    null::bigint as batch_id,
    deliveries.row_number,
    deliveries.file_name,
    lines.line_number
from msg.delivery_events as deliveries
inner join msg.outbox as outbox on deliveries.outbox_id = outbox.outbox_id
left join staging.delivery_lines as lines
    on deliveries.file_sha256 = lines.file_sha256 and deliveries.row_number = lines.row_number
where outbox.e164 = $e164 or outbox.number_hmac = $number_hmac
