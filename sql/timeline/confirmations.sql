-- A number's consent timeline: each double opt-in confirmation, with the inbound or web
-- confirmation file and line it came from.
select
    confirmations.confirmed_at as at,
    'confirmation' as category,
    'confirmed' as event,
    confirmations.channel,
    confirmations.method || coalesce(' ' || confirmations.keyword, '') as detail,
    null::varchar as recorded_by,
    confirmations.contact_id,
    lists.name as list_name,
    confirmations.batch_id,
    confirmations.row_number,
    files.file_name,
    lines.line_number
from core.confirmations as confirmations
left join core.lists as lists on confirmations.list_id = lists.list_id
left join ops.batch_files as files on confirmations.batch_id = files.batch_id
left join staging.row_lines as lines
    on confirmations.batch_id = lines.batch_id and confirmations.row_number = lines.row_number
where confirmations.number_hmac = $number_hmac
