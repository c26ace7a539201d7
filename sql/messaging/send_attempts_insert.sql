-- A batch's provider calls or lookups, one row each, appended in one statement.
insert into msg.send_attempts (
    outbox_id, attempt, claim_token, action, outcome, provider, provider_message_id, http_status, error,
    claimed_at, finished_at, dag_id, run_id
)
select
    unnest($outbox_ids::bigint[]),
    unnest($attempts::integer[]),
    unnest($claim_tokens::varchar[]),
    $action,
    unnest($outcomes::varchar[]),
    $provider,
    unnest($provider_message_ids::varchar[]),
    unnest($http_statuses::integer[]),
    unnest($errors::varchar[]),
    unnest($claimed_ats::timestamptz[]),
    unnest($finished_ats::timestamptz[]),
    $dag_id,
    $run_id
