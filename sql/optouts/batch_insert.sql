insert into ops.optout_batches (
    import_key, file_name, file_path, file_sha256, file_bytes, file_format, encoding, delimiter,
    has_header, manifest_path, manifest, scope, default_country, source, method,
    default_opted_out_at, dag_id, run_id, as_of, status, lines_read
)
values (
    $import_key, $file_name, $file_path, $file_sha256, $file_bytes, $file_format, $encoding, $delimiter,
    $has_header, $manifest_path, $manifest, $scope, $default_country, $source, $method,
    $default_opted_out_at, $dag_id, $run_id, $as_of, 'applied', 0
)
returning batch_id
