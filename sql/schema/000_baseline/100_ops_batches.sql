-- One row per imported file (an import batch): what came in, from where, by which run,
-- and how it ended. The counts are filled in when the batch is checked and merged.
-- key: (batch_id); unique: (import_key) (no constraint: DuckLake has none; the statements that write keep it)
create table if not exists ops.batches (
    batch_id           bigint not null,
    import_key         varchar not null,  -- sha256 of file bytes + manifest settings
    kind               varchar not null,          -- 'contacts'
    file_name          varchar not null,
    file_path          varchar not null,
    file_sha256        varchar not null,
    file_bytes         bigint not null,
    file_format        varchar not null,          -- csv | xlsx | text
    encoding           varchar,
    delimiter          varchar,
    has_header         boolean not null,
    manifest_path      varchar,
    manifest           json not null,             -- the effective manifest, as applied
    policy_name        varchar not null,
    list_names         varchar[] not null,
    channel            varchar not null,          -- sms | whatsapp
    default_country    varchar not null,
    dag_id             varchar,
    run_id             varchar,
    as_of              timestamptz not null,      -- the clock the row rules used
    status             varchar not null,          -- staged | checked | merged
    staged_at          timestamptz not null default current_timestamp,
    checked_at         timestamptz,
    merged_at          timestamptz,
    lines_read         bigint not null,
    rows_loaded        bigint,
    rows_rejected      bigint,
    rows_warned        bigint,
    duplicates_removed bigint,
    new_contacts       bigint,
    merged_contacts    bigint,
    rule_parameters    json               -- the effective rule and gate parameters it was checked with
)
