-- Each deletion of personal data: what was asked, by whom, and how much went. The consent
-- ledger is untouched by design (it names numbers by keyed HMAC), so suppression survives.
create table if not exists ops.deletions (
    deleted_at          timestamptz not null default current_timestamp,
    scope               varchar not null,   -- 'all' or 'list'
    list_name           varchar,
    requested_by        varchar not null,
    contacts_deleted    bigint not null,
    numbers_deleted     bigint not null,
    staged_rows_deleted bigint not null
)
