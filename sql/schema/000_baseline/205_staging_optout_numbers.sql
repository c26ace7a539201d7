-- The keyed HMAC of every number an opt-out file suppresses (parsed from the file, or the
-- number of a contact matched by id or email), computed once per distinct number.
-- key: (batch_id, e164) (no constraint: DuckLake has none; the statements that write keep it)
create table if not exists staging.optout_numbers (
    batch_id    bigint not null,
    e164        varchar not null,
    number_hmac varchar not null
)
