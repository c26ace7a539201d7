-- One row per inbound-message export applied (a file of texts received). The batch id comes
-- from the same counter as ops.batches (ops.id_counters batch_id), so core.consent_events.batch_id names one file
-- whichever kind it was. A row exists only for a file applied whole (one transaction).
-- key: (batch_id); unique: (import_key) (no constraint: DuckLake has none; the statements that write keep it)
create table if not exists ops.inbound_batches (
    batch_id            bigint not null,
    import_key          varchar not null,  -- sha256 of file bytes + manifest settings
    file_name           varchar not null,
    file_path           varchar not null,
    file_sha256         varchar not null,
    file_bytes          bigint not null,
    encoding            varchar not null,
    delimiter           varchar not null,
    manifest_path       varchar,
    manifest            json not null,            -- the effective manifest, as applied
    channel             varchar not null,         -- sms | whatsapp
    default_country     varchar not null,
    source              varchar not null,         -- recorded on the consent events
    dag_id              varchar,
    run_id              varchar,
    as_of               timestamptz not null,     -- the clock the file was applied at
    status              varchar not null,         -- applied
    lines_read          bigint not null,
    messages_applied    bigint,
    messages_ignored    bigint,
    messages_invalid    bigint,
    opt_outs            bigint,
    opt_outs_over_limit bigint,                   -- applied more than 10 business days after receipt
    applied_at          timestamptz
)
