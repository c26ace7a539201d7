insert into staging.optout_phone_parses (batch_id, phone_raw, e164, parse_error)
select
    batch_id,
    phone_raw,
    e164,
    parse_error
from optout_phone_parse_results
