insert into ops.deletions (scope, list_name, requested_by, contacts_deleted, numbers_deleted, staged_rows_deleted)
values ($scope, $list_name, $requested_by, $contacts_deleted, $numbers_deleted, $staged_rows_deleted)
