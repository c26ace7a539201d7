-- A new contact batch, numbered $first_id (optline.ids, `batch_id`). A file already recorded
-- under its import key is not recorded twice: nothing is inserted (ids.insert_one refuses).
insert into ops.batches (
    batch_id, import_key, kind, file_name, file_path, file_sha256, file_bytes, file_format, encoding,
    delimiter, has_header, manifest_path, manifest, policy_name, list_names, channel,
    default_country, dag_id, run_id, as_of, status, lines_read,
    clock_override_by, clock_real_time, policy_loosened, imported_by, file_stat
)
select
    $first_id,
    $import_key,
    'contacts',
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
    $policy_name,
    $list_names,
    $channel,
    $default_country,
    $dag_id,
    $run_id,
    $as_of,
    'staging',
    0,
    $clock_override_by,
    $clock_real_time,
    $policy_loosened,
    $imported_by,
    $file_stat
where not exists (
    select 1 from ops.batches as existing
    where existing.import_key = $import_key
)
