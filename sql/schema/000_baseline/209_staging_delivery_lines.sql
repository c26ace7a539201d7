-- Every line read from a delivery status file and what became of it: applied, unmatched or
-- invalid (with a reason). Valid lines are also appended to msg.delivery_events. Holds no
-- number and no body: only the provider's message id, status, error code and time.
-- key: (file_sha256, row_number) (no constraint: DuckLake has none; the statements that write keep it)
create table if not exists staging.delivery_lines (
    file_sha256         varchar not null,
    row_number          bigint not null,   -- 1.. in file order (data rows; CSV header excluded)
    line_number         bigint not null,   -- the line in the file where the record starts
    provider_message_id varchar,
    status              varchar,           -- normalized (lower case); null when missing or unknown
    error_code          varchar,
    reported_at         timestamptz,       -- the provider's time for the status, when given
    outcome             varchar not null,  -- applied | unmatched | invalid
    reason              varchar,           -- invalid: blank_line | missing_message_id | unknown_status | ...
    outbox_id           bigint,            -- applied: the message (msg.outbox)
    applied_at          timestamptz not null
)
