-- Operator actions on a number (list touch-up files): suspend or reactivate. Append-only;
-- a number is suspended while its latest event is a suspend. Not consent: an operator's pause.
create table if not exists core.number_status_events (
    number_hmac  varchar not null,
    action       varchar not null,  -- suspend | reactivate
    effective_at timestamptz not null default current_timestamp,
    source       varchar not null,  -- the list-operations file
    row_number   bigint
)
