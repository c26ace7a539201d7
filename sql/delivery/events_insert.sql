-- Every valid line of the file as a delivery event: matched (outbox_id set) or not (null).
insert into msg.delivery_events (
    provider_message_id, status, error_code, reported_at, file_name, file_sha256, row_number, applied_at,
    outbox_id
)
select
    lines.provider_message_id,
    lines.status,
    lines.error_code,
    lines.reported_at,
    files.file_name,
    lines.file_sha256,
    lines.row_number,
    lines.applied_at,
    lines.outbox_id
from staging.delivery_lines as lines
inner join ops.delivery_files as files on lines.file_sha256 = files.file_sha256
where lines.file_sha256 = $file_sha256 and lines.outcome in ('applied', 'unmatched')
order by lines.row_number
