insert into ops.batches (
    import_key, kind, file_name, file_path, file_sha256, file_bytes, file_format, encoding,
    delimiter, has_header, manifest_path, manifest, policy_name, list_names, channel,
    default_country, dag_id, run_id, as_of, status, lines_read,
    clock_override_by, clock_real_time, policy_loosened, imported_by
)
values (
    $import_key, 'contacts', $file_name, $file_path, $file_sha256, $file_bytes, $file_format, $encoding,
    $delimiter, $has_header, $manifest_path, $manifest, $policy_name, $list_names, $channel,
    $default_country, $dag_id, $run_id, $as_of, 'staging', 0,
    $clock_override_by, $clock_real_time, $policy_loosened, $imported_by
)
returning batch_id
