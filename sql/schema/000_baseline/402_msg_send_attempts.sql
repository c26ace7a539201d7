-- Every provider call and every reconciliation, appended (never updated): the audit trail of
-- what the dispatcher asked the provider and what it answered. No number and no body.
create table if not exists msg.send_attempts (
    outbox_id           bigint not null,
    attempt             integer not null,         -- msg.outbox.attempts when claimed
    claim_token         varchar not null,
    action              varchar not null,         -- send | lookup
    outcome             varchar not null,         -- accepted | retry | unknown | rejected | found | not_found
    provider            varchar not null,
    provider_message_id varchar,
    http_status         integer,
    error               varchar,
    claimed_at          timestamptz not null,
    finished_at         timestamptz not null,
    dag_id              varchar,
    run_id              varchar
)
