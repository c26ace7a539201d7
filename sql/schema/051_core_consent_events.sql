-- The consent ledger: append-only. Nothing updates or deletes an event; current consent
-- is derived from the events.
create table if not exists core.consent_events (
    event_id     bigint primary key default nextval('core.consent_event_id_seq'),
    e164         varchar not null,
    scope        varchar not null,  -- sms | whatsapp | all
    kind         varchar not null,  -- opt_in
    effective_at timestamptz not null,
    source       varchar not null,
    method       varchar not null,
    contact_id   bigint,
    batch_id     bigint,
    row_number   bigint,
    dag_id       varchar,
    run_id       varchar,
    recorded_at  timestamptz not null default current_timestamp
)
