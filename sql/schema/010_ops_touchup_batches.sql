-- One row per list touch-up file applied (add/remove members and tags, suspend/reactivate).
-- The batch id comes from the same counter (ops.id_counters) as every other kind of batch, so
-- core.memberships.first_batch_id, core.consent_events.batch_id and msg.outbox.batch_id name
-- one file whichever kind it was. A row exists only for a file applied whole (one transaction).
-- key: (batch_id); unique: (import_key) (no constraint: DuckLake has none; the statements that write keep it)
create table if not exists ops.touchup_batches (
    batch_id        bigint not null,
    import_key      varchar not null,  -- sha256 of file bytes + manifest settings
    file_name       varchar not null,
    file_path       varchar not null,
    file_sha256     varchar not null,
    file_bytes      bigint not null,
    encoding        varchar not null,
    delimiter       varchar not null,
    manifest_path   varchar,                  -- null: no manifest, the defaults applied
    manifest        json not null,            -- the effective manifest, as applied
    default_country varchar not null,
    dag_id          varchar,
    run_id          varchar,
    as_of           timestamptz not null,     -- the run's clock the file was applied at
    status          varchar not null,         -- applied
    applied_at      timestamptz not null default current_timestamp,
    lines_read      bigint not null,
    rows_applied    bigint,
    rows_rejected   bigint,
    members_pending bigint,                   -- memberships added pending (they get the welcome)
    members_active  bigint,                   -- memberships made active on the row's opt-in evidence
    events_appended bigint                    -- opt_in events appended to core.consent_events
)
