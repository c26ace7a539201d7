-- A new touch-up batch, numbered $first_id (optline.ids, `batch_id`). A file already recorded
-- under its import key is not recorded twice: nothing is inserted (ids.insert_one refuses).
insert into ops.touchup_batches (
    batch_id, import_key, file_name, file_path, file_sha256, file_bytes, encoding, delimiter, manifest_path, manifest,
    default_country, dag_id, run_id, as_of, status, lines_read
)
select
    $first_id,
    $import_key,
    $file_name,
    $file_path,
    $file_sha256,
    $file_bytes,
    $encoding,
    $delimiter,
    $manifest_path,
    $manifest,
    $default_country,
    $dag_id,
    $run_id,
    $as_of,
    'applied',
    $lines_read
where not exists (
    select 1 from ops.touchup_batches as existing
    where existing.import_key = $import_key
)
