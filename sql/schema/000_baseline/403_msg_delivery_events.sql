-- Delivery status reports from the provider (status exports, or callbacks saved as files),
-- appended as read. msg.outbox.delivery_status holds each message's latest.
create table if not exists msg.delivery_events (
    provider_message_id varchar not null,
    status              varchar not null,  -- queued | sent | delivered | undelivered | failed | read ...
    error_code          varchar,
    reported_at         timestamptz,       -- the provider's time for the status, when given
    file_name           varchar not null,
    file_sha256         varchar not null,
    row_number          bigint not null,
    applied_at          timestamptz not null,
    outbox_id           bigint             -- null when the id matched no message of ours
)
