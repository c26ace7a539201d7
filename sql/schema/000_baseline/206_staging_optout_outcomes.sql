-- The verdict on every opt-out row: matched (contacts found), suppressed_unmatched (a valid
-- number no contact matched: suppressed all the same) or invalid (with a reason).
-- key: (batch_id, row_number) (no constraint: DuckLake has none; the statements that write keep it)
create table if not exists staging.optout_outcomes (
    batch_id      bigint not null,
    row_number    bigint not null,
    outcome       varchar not null,  -- matched | suppressed_unmatched | invalid
    reason_code   varchar,           -- why invalid (docs/optouts.md)
    reason_column varchar,
    reason_detail varchar,           -- a message without the value
    matched_by    varchar,           -- contact_id | number | email
    scope         varchar,           -- all | sms | whatsapp
    opted_out_at  timestamptz,
    e164          varchar,           -- the number the row gave, parsed
    matches       struct(contact_id bigint, e164 varchar)[] not null,  -- the contacts matched
    numbers       varchar[] not null  -- the numbers the row suppresses (one event each)
)
