-- What became of every inbound message (one row per staged row): applied, ignored (with a
-- reason) or invalid (with a reason). lines read = applied + ignored + invalid.
-- key: (batch_id, row_number) (no constraint: DuckLake has none; the statements that write keep it)
create table if not exists staging.inbound_outcomes (
    batch_id     bigint not null,
    row_number   bigint not null,
    apply_order  bigint,               -- order applied: received_at, then row number (null when invalid)
    received_at  timestamptz,          -- as read; null when unreadable
    -- the consent event's time (an opt-out: received_at, never later than applied_at)
    effective_at timestamptz,
    intent       varchar not null,
    keyword      varchar,
    outcome      varchar not null,     -- applied | ignored | invalid
    action       varchar not null,     -- opt_out | resubscribe | help_reply | join | none
    reason       varchar,              -- why ignored or invalid
    scope        varchar,              -- consent events: sms | whatsapp | all
    welcome      boolean not null,     -- join only: the number's first join of the list ever
    applied_at   timestamptz not null -- the run's clock when the file was applied
)
