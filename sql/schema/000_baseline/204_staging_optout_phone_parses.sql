-- phonenumbers' verdict on each distinct raw number of an opt-out file.
-- key: (batch_id, phone_raw) (no constraint: DuckLake has none; the statements that write keep it)
create table if not exists staging.optout_phone_parses (
    batch_id    bigint not null,
    phone_raw   varchar not null,
    e164        varchar,
    parse_error varchar   -- invalid | not_a_number | too_short | too_long | ...; null when valid
)
