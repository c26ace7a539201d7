insert into msg.send_attempts (
    outbox_id, attempt, claim_token, action, outcome, provider, provider_message_id, http_status, error,
    claimed_at, finished_at, dag_id, run_id
)
values (
    $outbox_id, $attempt, $claim_token, $action, $outcome, $provider, $provider_message_id, $http_status, $error,
    $claimed_at, $finished_at, $dag_id, $run_id
)
