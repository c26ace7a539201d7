-- A number's consent timeline: every ledger event of its HMAC, with who recorded it (by hand) or
-- the file and line it came from.
select
    events.effective_at as at,
    'consent' as category,
    events.kind as event,
    events.scope as channel,
    events.source || ' (' || events.method || ')'
    || coalesce('; note: ' || events.note, '') as detail,
    events.recorded_by,
    events.contact_id,
    null::varchar as list_name,
    events.batch_id,
    events.row_number,
    files.file_name,
    lines.line_number
from core.consent_events as events
left join ops.batch_files as files on events.batch_id = files.batch_id
left join staging.row_lines as lines
    on events.batch_id = lines.batch_id and events.row_number = lines.row_number
where events.number_hmac = $number_hmac
