-- Rows that cannot be applied (listops/operations_unknown_numbers): they end rejected.
delete from list_operations
where row_number in (select unnest($row_numbers::bigint[]))
