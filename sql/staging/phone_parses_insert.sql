insert into staging.phone_parses (batch_id, phone_raw, e164, region, number_type, time_zones, parse_error, number_hmac)
select
    batch_id,
    phone_raw,
    e164,
    region,
    number_type,
    time_zones,
    parse_error,
    number_hmac
from phone_parse_results
