-- One row per bulk opt-out file applied to the consent ledger. The batch id comes from the
-- same counter as ops.batches (ops.id_counters batch_id), so core.consent_events.batch_id names one file either way.
-- A row exists only for a file applied whole (one transaction per file).
-- key: (batch_id); unique: (import_key) (no constraint: DuckLake has none; the statements that write keep it)
create table if not exists ops.optout_batches (
    batch_id                  bigint not null,
    import_key                varchar not null,  -- sha256 of file bytes + manifest settings
    file_name                 varchar not null,
    file_path                 varchar not null,
    file_sha256               varchar not null,
    file_bytes                bigint not null,
    file_format               varchar not null,         -- csv | xlsx | text
    encoding                  varchar,
    delimiter                 varchar,
    has_header                boolean not null,
    manifest_path             varchar,
    manifest                  json not null,            -- the effective manifest, as applied
    scope                     varchar not null,         -- the file's default scope: all | sms | whatsapp
    default_country           varchar not null,
    source                    varchar not null,
    method                    varchar not null,
    default_opted_out_at      timestamptz not null,     -- for rows without a date: the file's arrival
    dag_id                    varchar,
    run_id                    varchar,
    as_of                     timestamptz not null,
    status                    varchar not null,         -- applied
    applied_at                timestamptz not null default current_timestamp,
    lines_read                bigint not null,
    rows_matched              bigint,
    rows_suppressed_unmatched bigint,
    rows_invalid              bigint,
    contacts_matched          bigint,
    events_appended           bigint
)
