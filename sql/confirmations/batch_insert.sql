-- A new web-confirmation batch; its counts are set once every row has an outcome.
insert into ops.confirmation_batches (
    import_key, file_name, file_path, file_sha256, file_bytes, encoding, delimiter, manifest_path, manifest,
    channel, default_country, list_name, source, dag_id, run_id, as_of, lines_read
)
values (
    $import_key, $file_name, $file_path, $file_sha256, $file_bytes, $encoding, $delimiter, $manifest_path, $manifest,
    $channel, $default_country, $list_name, $source, $dag_id, $run_id, $as_of, $lines_read
)
returning batch_id
