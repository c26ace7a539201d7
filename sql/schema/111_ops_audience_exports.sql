-- Each audience export (`optline export-audience`): who wrote which list's sendable members to
-- which file, how many rows, with the numbers masked or not, and the file's sha256.
-- key: (exported_at, file_path) (no constraint: DuckLake has none; the statements that write keep it)
create table if not exists ops.audience_exports (
    exported_at  timestamptz not null,
    exported_by  varchar not null,  -- the OS account (optline.access; `export` when unmasked)
    list_name    varchar not null,
    channel      varchar,           -- null: every channel
    statuses     varchar[] not null,  -- membership statuses exported: active (and pending)
    attributes   varchar[] not null,  -- the contact attributes written beside the number
    with_tags    boolean not null,
    masked       boolean not null,  -- false: the numbers were written in full
    file_format  varchar not null,  -- csv | parquet
    file_path    varchar not null,
    file_sha256  varchar not null,
    rows_written bigint not null
)
