-- Messages waiting to be sent (a minimal outbox: the messaging work adds sending). Each
-- message is queued exactly once: its idempotency key is unique and inserts skip a key
-- already present. Holds phone numbers (needed to send): personal data.
create table if not exists msg.outbox (
    outbox_id       bigint primary key default nextval('msg.outbox_id_seq'),
    idempotency_key varchar not null unique,  -- help:<batch>:<row> | welcome:<list_id>:<number_hmac>
    kind            varchar not null,         -- help | welcome
    e164            varchar not null,
    channel         varchar not null,         -- sms | whatsapp
    template        varchar not null,         -- the manifest's text, placeholders {list} and {keyword}
    body            varchar not null,         -- the template filled in
    status          varchar not null,         -- queued
    created_at      timestamptz not null default current_timestamp,
    batch_id        bigint,
    row_number      bigint
)
