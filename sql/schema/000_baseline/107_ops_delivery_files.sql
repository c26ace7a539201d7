-- One row per delivery status file applied (a status export, or status callbacks saved as
-- files), keyed by the sha256 of its bytes: the same file again is recognized and not read.
-- A row exists only for a file applied whole (one transaction per file).
-- lines_read = lines_applied + lines_unmatched + lines_invalid (checked before commit).
-- key: (file_sha256) (no constraint: DuckLake has none; the statements that write keep it)
create table if not exists ops.delivery_files (
    file_sha256      varchar not null,
    file_name        varchar not null,
    file_path        varchar not null,
    file_bytes       bigint not null,
    file_format      varchar not null,  -- csv | callbacks
    encoding         varchar,
    delimiter        varchar,           -- csv only
    applied_at       timestamptz not null,  -- the run's clock when applied
    lines_read       bigint not null,
    lines_applied    bigint,            -- matched one of our messages (msg.delivery_events.outbox_id set)
    lines_unmatched  bigint,            -- valid, but the message id is not one of ours (outbox_id null)
    lines_invalid    bigint,            -- see staging.delivery_lines.reason
    messages_updated bigint             -- msg.outbox rows whose delivery_status or time changed
)
