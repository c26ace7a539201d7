-- phonenumbers' verdict on each distinct raw number of an opt-out file.
create table if not exists staging.optout_phone_parses (
    batch_id    bigint not null,
    phone_raw   varchar not null,
    e164        varchar,
    parse_error varchar,   -- invalid | not_a_number | too_short | too_long | ...; null when valid
    primary key (batch_id, phone_raw)
)
