-- The parsed operations of one file (from Python: action, list, number, tag per row).
create or replace temp table list_operations (
    row_number  bigint not null,
    action      varchar not null,
    list_name   varchar,
    e164        varchar,
    number_hmac varchar,
    tag         varchar
)
