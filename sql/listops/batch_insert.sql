insert into ops.touchup_batches (
    import_key, file_name, file_path, file_sha256, file_bytes, encoding, delimiter, manifest_path, manifest,
    default_country, dag_id, run_id, as_of, status, lines_read
)
values (
    $import_key, $file_name, $file_path, $file_sha256, $file_bytes, $encoding, $delimiter, $manifest_path, $manifest,
    $default_country, $dag_id, $run_id, $as_of, 'applied', $lines_read
)
returning batch_id
