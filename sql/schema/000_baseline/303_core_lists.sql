create table if not exists core.lists (
    list_id        bigint primary key default nextval('core.list_id_seq'),
    name           varchar not null,
    name_key       varchar not null unique,  -- lower(trim(name)): list names are unique, case-insensitive
    first_batch_id bigint not null,
    created_at     timestamptz not null default current_timestamp
)
