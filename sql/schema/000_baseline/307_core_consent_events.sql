-- The consent ledger: append-only. Nothing updates or deletes an event; the current state
-- per number and channel is derived from it (core.consent_state). A number is named by its
-- keyed HMAC (core.phone_numbers maps it to E.164), so the ledger holds no phone number and
-- outlives the deletion of a contact: a deleted number that opted out stays suppressed.
-- key: (event_id) (no constraint: DuckLake has none; the statements that write keep it)
create table if not exists core.consent_events (
    event_id     bigint not null,
    number_hmac  varchar not null,
    scope        varchar not null,  -- sms | whatsapp | all
    -- opt_in (imported evidence) | opt_out | resubscribe (the number's own START/UNSTOP/YES or keyword)
    kind         varchar not null,
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
