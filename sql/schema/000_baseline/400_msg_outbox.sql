-- One row per intended message. The idempotency key is unique, so a message is queued
-- once; a row is claimed (committed) before the provider is called and its provider id
-- recorded after, so a crash leaves it `claimed` and the dispatcher asks the provider
-- before any resend. Holds phone numbers and message bodies (needed to send): personal data.
-- key: (outbox_id); unique: (idempotency_key) (no constraint: DuckLake has none; the statements that write keep it)
create table if not exists msg.outbox (
    outbox_id           bigint not null,
    idempotency_key     varchar not null,  -- help:<batch>:<row> | welcome:<list_id>:<number_hmac>
    kind                varchar not null,         -- help | welcome
    e164                varchar not null,
    number_hmac         varchar,                  -- optline.phones.number_hmac(e164): joins the consent ledger
    channel             varchar not null,         -- sms | whatsapp
    list_id             bigint,                   -- welcome: the list joined or to confirm
    contact_id          bigint,                   -- the contact the text is personalized for
    template            varchar not null,         -- placeholders {first_name} {list} {keyword} {confirm_keyword}
    body                varchar not null,         -- the template filled in
    status              varchar not null,         -- queued | claimed | sent | cancelled | failed
    -- queued: why waiting (quiet_hours, daily_cap, retry); cancelled/failed: why
    status_reason       varchar,
    attempts            integer not null default 0,
    not_before          timestamptz,              -- queued: not due before (quiet hours, caps, backoff)
    provider            varchar,                  -- sandbox | twilio | webhook (the last attempt's)
    provider_message_id varchar,
    claim_token         varchar,                  -- the dispatcher run and attempt that claimed it
    claimed_at          timestamptz,
    sent_at             timestamptz,              -- the provider accepted it (or reconciliation found it)
    finished_at         timestamptz,              -- sent, cancelled or failed
    delivery_status     varchar,                  -- from delivery status files: delivered | undelivered | failed ...
    delivery_updated_at timestamptz,
    last_error          varchar,                  -- short provider error (never a number or body)
    created_at          timestamptz not null default current_timestamp,
    updated_at          timestamptz not null default current_timestamp,
    batch_id            bigint,                   -- the import or inbound batch that queued it
    row_number          bigint                    -- inbound: the message replied to
)
