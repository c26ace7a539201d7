-- The file's lines, read and checked in Python (registered as `delivery_lines_read`), each
-- matched to our message by the provider's id: applied (matched), unmatched or invalid.
-- Should two outbox rows carry the same provider id, the first queued is the one matched.
insert into staging.delivery_lines (
    file_sha256, row_number, line_number, provider_message_id, status, error_code, reported_at, outcome,
    reason, outbox_id, applied_at
)
with

ours as (
    select
        provider_message_id,
        min(outbox_id) as outbox_id
    from msg.outbox
    where provider_message_id is not null
    group by provider_message_id
)

select
    $file_sha256,
    lines.row_number,
    lines.line_number,
    lines.provider_message_id,
    lines.status,
    lines.error_code,
    lines.reported_at,
    case
        when lines.reason is not null then 'invalid'
        when ours.outbox_id is null then 'unmatched'
        else 'applied'
    end,
    lines.reason,
    case when lines.reason is null then ours.outbox_id end,
    $applied_at
from delivery_lines_read as lines
left join ours on lines.provider_message_id = ours.provider_message_id
order by lines.row_number
