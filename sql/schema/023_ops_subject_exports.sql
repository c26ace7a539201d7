-- Each data subject's export (`optline export-person`): who asked, for which number (its keyed
-- HMAC, never the number), where the file went and how much it held.
create table if not exists ops.subject_exports (
    exported_at    timestamptz not null default current_timestamp,
    requested_by   varchar not null,
    number_hmac    varchar not null,
    file_path      varchar not null,
    file_sha256    varchar not null,
    contacts       bigint not null,
    consent_events bigint not null,
    messages       bigint not null,
    received_texts bigint not null,
    staged_rows    bigint not null  -- contact imports' and opt-out files' rows
)
