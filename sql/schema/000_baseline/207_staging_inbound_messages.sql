-- Every data row of every inbound-message export, as text, with lineage and what Python
-- derived from it (the sender's number parsed by phonenumbers, the body's intent by
-- optline.keywords). Holds phone numbers and message bodies: personal data.
-- key: (batch_id, row_number) (no constraint: DuckLake has none; the statements that write keep it)
create table if not exists staging.inbound_messages (
    batch_id        bigint not null,
    row_number      bigint not null,   -- 1-based data row (header excluded)
    line_number     bigint not null,   -- physical line where the row starts
    read_issue      varchar,           -- blank_row | extra_fields, found while reading
    from_raw        varchar,           -- the sender as exported
    to_raw          varchar,           -- our number (or short code) it was sent to
    body            varchar,
    received_at_raw varchar,
    direction       varchar,           -- when the export has a Direction column (inbound, outbound-api, ...)
    e164            varchar,           -- the sender in E.164, null when it does not parse
    region          varchar,
    number_type     varchar,
    time_zones      varchar[],
    number_hmac     varchar,           -- optline.phones.number_hmac(e164)
    parse_error     varchar,
    intent          varchar not null,  -- opt_out | opt_in | help | join | other (optline.keywords.classify)
    keyword         varchar,           -- the word that decided it, upper case
    list_name       varchar           -- join only: the list the manifest maps the keyword to
)
