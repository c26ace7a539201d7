-- The export's rows, read and classified in Python (registered as `inbound_messages_read`).
insert into staging.inbound_messages (
    batch_id, row_number, line_number, read_issue, from_raw, to_raw, body, received_at_raw, direction,
    e164, region, number_type, time_zones, number_hmac, parse_error, intent, keyword, list_name, revocation_rule
)
select
    $batch_id,
    row_number,
    line_number,
    read_issue,
    from_raw,
    to_raw,
    body,
    received_at_raw,
    direction,
    e164,
    region,
    number_type,
    time_zones,
    number_hmac,
    parse_error,
    intent,
    keyword,
    list_name,
    revocation_rule
from inbound_messages_read
order by row_number
