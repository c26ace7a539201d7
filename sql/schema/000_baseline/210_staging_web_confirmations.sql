-- Every data row of every web-confirmation export, as text, with lineage, what Python derived
-- (the number parsed by phonenumbers and its HMAC) and what became of it. Holds phone
-- numbers: personal data. lines read = confirmed + ignored + invalid.
-- key: (batch_id, row_number) (no constraint: DuckLake has none; the statements that write keep it)
create table if not exists staging.web_confirmations (
    batch_id         bigint not null,
    row_number       bigint not null,   -- 1-based data row (header excluded)
    line_number      bigint not null,   -- physical line where the row starts
    read_issue       varchar,           -- blank_row | extra_fields, found while reading
    phone_raw        varchar,           -- the number as exported
    confirmed_at_raw varchar,           -- the confirmation time as exported
    list_raw         varchar,           -- the list cell, when the export has a list column
    has_email        boolean not null,  -- an email cell was filled (the address is not kept)
    e164             varchar,           -- null when the number does not parse
    number_hmac      varchar,           -- optline.phones.number_hmac(e164)
    parse_error      varchar,
    confirmed_at     timestamptz,       -- confirmed_at_raw read in the manifest's date order
    list_name        varchar,           -- the list cell, else the manifest's `list`; null: every list
    list_id          bigint,            -- the list it names (null: unknown or none named)
    suppressed       boolean,           -- the ledger suppressed the number on the channel when applied
    outcome          varchar,           -- confirmed | ignored | invalid
    reason           varchar           -- why ignored or invalid
)
