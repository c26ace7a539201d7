-- One event appended to the ledger (optline.consent.ledger.append), its id $first_id (optline.ids,
-- `consent_event_id`).
insert into core.consent_events (
    event_id, number_hmac, scope, kind, effective_at, source, method, contact_id, batch_id, row_number, dag_id, run_id
)
select
    $first_id,
    $number_hmac,
    $scope,
    $kind,
    $effective_at,
    $source,
    $method,
    $contact_id,
    $batch_id,
    $row_number,
    $dag_id,
    $run_id
