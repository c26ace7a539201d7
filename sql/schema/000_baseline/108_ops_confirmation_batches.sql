-- One row per web-confirmation export applied (a double opt-in landing page's list of who
-- confirmed). The batch id comes from the same counter (ops.id_counters) as every other kind of batch, so
-- core.confirmations.batch_id and core.consent_events.batch_id name one file whichever kind
-- it was. A row exists only for a file applied whole (one transaction).
-- key: (batch_id); unique: (import_key) (no constraint: DuckLake has none; the statements that write keep it)
create table if not exists ops.confirmation_batches (
    batch_id              bigint not null,
    import_key            varchar not null,  -- sha256 of file bytes + manifest settings
    file_name             varchar not null,
    file_path             varchar not null,
    file_sha256           varchar not null,
    file_bytes            bigint not null,
    encoding              varchar not null,
    delimiter             varchar not null,
    manifest_path         varchar,                  -- null: no manifest, the defaults applied
    manifest              json not null,            -- the effective manifest, as applied
    channel               varchar not null,         -- sms | whatsapp: the memberships it confirms
    default_country       varchar not null,
    list_name             varchar,                  -- the manifest's `list`: rows without a list name confirm only it
    source                varchar not null,         -- recorded on the consent events
    dag_id                varchar,
    run_id                varchar,
    as_of                 timestamptz not null,     -- the run's clock the file was applied at
    lines_read            bigint not null,
    confirmed             bigint,                   -- rows that confirmed at least one membership
    ignored               bigint,
    invalid               bigint,
    memberships_confirmed bigint                    -- pending memberships made active
)
