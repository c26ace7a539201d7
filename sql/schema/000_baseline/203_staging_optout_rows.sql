-- Every data row of every bulk opt-out file, as text, with lineage. Nothing dropped.
-- key: (batch_id, row_number) (no constraint: DuckLake has none; the statements that write keep it)
create table if not exists staging.optout_rows (
    batch_id         bigint not null,
    row_number       bigint not null,   -- 1-based data row (header excluded)
    line_number      bigint not null,   -- physical line (CSV) or sheet row (XLSX) where the row starts
    read_issue       varchar,           -- blank_row | extra_fields, found while reading
    read_detail      varchar,
    contact_id_raw   varchar,
    phone_raw        varchar,
    first_name       varchar,
    last_name        varchar,
    email            varchar,
    address_line1    varchar,
    company          varchar,
    opted_out_at_raw varchar,
    scope_raw        varchar,
    extra            json              -- the file's other columns
)
