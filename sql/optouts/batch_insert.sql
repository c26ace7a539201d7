-- A new opt-out batch, numbered $first_id (optline.ids, `batch_id`). A file already recorded
-- under its import key is not recorded twice: nothing is inserted (ids.insert_one refuses).
insert into ops.optout_batches (
    batch_id, import_key, file_name, file_path, file_sha256, file_bytes, file_format, encoding, delimiter,
    has_header, manifest_path, manifest, scope, default_country, source, method,
    default_opted_out_at, dag_id, run_id, as_of, status, lines_read
)
select
    $first_id,
    $import_key,
    $file_name,
    $file_path,
    $file_sha256,
    $file_bytes,
    $file_format,
    $encoding,
    $delimiter,
    $has_header,
    $manifest_path,
    $manifest,
    $scope,
    $default_country,
    $source,
    $method,
    $default_opted_out_at,
    $dag_id,
    $run_id,
    $as_of,
    'applied',
    0
where not exists (
    select 1 from ops.optout_batches as existing
    where existing.import_key = $import_key
)
