-- phonenumbers' verdict on each distinct raw value of a batch (parsed once per value).
-- key: (batch_id, phone_raw) (no constraint: DuckLake has none; the statements that write keep it)
create table if not exists staging.phone_parses (
    batch_id    bigint not null,
    phone_raw   varchar not null,
    e164        varchar,
    region      varchar,          -- ISO 3166 region, e.g. US, CA, GB
    number_type varchar,          -- MOBILE, FIXED_LINE, FIXED_LINE_OR_MOBILE, VOIP, ...
    time_zones  varchar[],
    parse_error varchar,          -- unparseable | not_a_number | too_short | too_long | invalid
    number_hmac varchar          -- optline.phones.number_hmac(e164)
)
