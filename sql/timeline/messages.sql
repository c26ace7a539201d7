-- A number's consent timeline: every message meant for it (msg.outbox), queued when, its status
-- now, and the import or inbound file (and line) that queued it. No message body.
select
    outbox.created_at as at,
    'message' as category,
    outbox.kind || ' queued' as event,
    outbox.channel,
    'outbox ' || outbox.outbox_id || ': ' || outbox.status
    || coalesce(' (' || outbox.status_reason || ')', '')
    || coalesce(', sent ' || strftime(outbox.sent_at at time zone 'UTC', '%Y-%m-%d %H:%M UTC'), '')
    || coalesce(', ' || outbox.delivery_status, '') as detail,
    null::varchar as recorded_by,
    outbox.contact_id,
    lists.name as list_name,
    outbox.batch_id,
    outbox.row_number,
    files.file_name,
    lines.line_number
from msg.outbox as outbox
left join core.lists as lists on outbox.list_id = lists.list_id
left join ops.batch_files as files on outbox.batch_id = files.batch_id
left join staging.row_lines as lines
    on outbox.batch_id = lines.batch_id and outbox.row_number = lines.row_number
where outbox.e164 = $e164 or outbox.number_hmac = $number_hmac
