-- key: (e164) (no constraint: DuckLake has none; the statements that write keep it)
create table if not exists core.phone_numbers (
    e164           varchar not null,
    region         varchar not null,
    number_type    varchar not null,
    time_zones     varchar[] not null,
    first_batch_id bigint not null,
    created_at     timestamptz not null default current_timestamp,
    number_hmac    varchar  -- optline.phones.number_hmac(e164): the consent ledger's name for the number
)
