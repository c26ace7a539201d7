-- A person at a number. Same number + same first and last name (case-insensitive) is the
-- same contact; the same number with other names is another contact sharing the number.
-- key: (contact_id); unique: (e164, name_key) (no constraint: DuckLake has none; the statements that write keep it)
create table if not exists core.contacts (
    contact_id      bigint not null,
    e164            varchar not null,
    first_name      varchar,
    last_name       varchar,
    name_key        varchar not null,  -- lower(trim(first)) || chr(31) || lower(trim(last))
    email           varchar,
    dob             date,
    title           varchar,
    address_line1   varchar,
    address_line2   varchar,
    city            varchar,
    state           varchar,
    postcode        varchar,
    company         varchar,
    alternate_phone varchar,
    first_batch_id  bigint not null,
    last_batch_id   bigint not null,
    created_at      timestamptz not null default current_timestamp,
    updated_at      timestamptz not null default current_timestamp
)
