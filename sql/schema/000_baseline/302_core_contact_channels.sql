-- key: (contact_id, channel) (no constraint: DuckLake has none; the statements that write keep it)
create table if not exists core.contact_channels (
    contact_id     bigint not null,
    channel        varchar not null,  -- sms | whatsapp
    first_batch_id bigint not null
)
