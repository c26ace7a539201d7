-- The rows of one touch-up file as read (registered by optline.contacts.listops as
-- `touchup_rows_read`: cells as text, the number already HMAC'd and masked), the action
-- spelled one way and the opt-in time read in the manifest's date order.
insert into staging.touchup_rows (
    batch_id, row_number, line_number, read_issue, action_raw, action, list_name, tag, phone_masked, number_hmac,
    parse_error, opted_in_at_raw, opted_in_at, source
)
select
    $batch_id,
    row_number,
    line_number,
    read_issue,
    action_raw,
    regexp_replace(lower(trim(action_raw)), '[ -]+', '_', 'g'),
    trim(list_raw),
    trim(tag_raw),
    phone_masked,
    number_hmac,
    parse_error,
    opted_in_at_raw,
    staging.parse_timestamp(opted_in_at_raw, $date_order),
    trim(source_raw)
from touchup_rows_read
order by row_number
