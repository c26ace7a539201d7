-- Every data row read from a contact file, as text, with its lineage. Nothing is dropped
-- here: blank and ragged rows are kept with a read_issue so the row rules can reject them.
-- key: (batch_id, row_number) (no constraint: DuckLake has none; the statements that write keep it)
create table if not exists staging.contact_rows (
    batch_id            bigint not null,
    row_number          bigint not null,   -- 1-based data row (header excluded)
    line_number         bigint not null,   -- physical line (CSV/text) or sheet row (XLSX) where the row starts
    read_issue          varchar,           -- blank_row | extra_fields, found while reading
    read_detail         varchar,
    phone_raw           varchar,
    first_name          varchar,
    last_name           varchar,
    email               varchar,
    dob_raw             varchar,
    age_raw             varchar,
    opted_in_at_raw     varchar,
    last_contact_at_raw varchar,
    title               varchar,
    address_line1       varchar,
    address_line2       varchar,
    city                varchar,
    state               varchar,
    postcode            varchar,
    company             varchar,
    alternate_phone     varchar,
    tags_raw            varchar,
    extra               json              -- columns the file had that Optline does not map
)
