insert into core.consent_events (
    number_hmac, scope, kind, effective_at, source, method, contact_id, batch_id, row_number, dag_id, run_id
)
values (
    $number_hmac, $scope, $kind, $effective_at, $source, $method, $contact_id, $batch_id, $row_number, $dag_id, $run_id
)
