insert into ops.batches (
    import_key, kind, file_name, file_path, file_sha256, file_bytes, file_format, encoding,
    delimiter, has_header, manifest_path, manifest, policy_name, list_names, channel,
    default_country, dag_id, run_id, as_of, status, lines_read
)
values (
    $import_key, 'contacts', $file_name, $file_path, $file_sha256, $file_bytes, $file_format, $encoding,
    $delimiter, $has_header, $manifest_path, $manifest, $policy_name, $list_names, $channel,
    $default_country, $dag_id, $run_id, $as_of, 'staged', 0
)
returning batch_id
