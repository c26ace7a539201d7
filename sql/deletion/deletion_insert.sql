insert into ops.deletions (
    scope, list_name, number_hmac, requested_by, contacts_deleted, numbers_deleted, staged_rows_deleted,
    rows_scrubbed, reports_rewritten
)
values (
    $scope, $list_name, $number_hmac, $requested_by, $contacts_deleted, $numbers_deleted, $staged_rows_deleted,
    $rows_scrubbed, $reports_rewritten
)
