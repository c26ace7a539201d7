-- A new web-confirmation batch, numbered $first_id (optline.ids, `batch_id`); its counts are
-- set once every row has an outcome. A file already recorded under its import key is not
-- recorded twice: nothing is inserted (ids.insert_one refuses).
insert into ops.confirmation_batches (
    batch_id, import_key, file_name, file_path, file_sha256, file_bytes, encoding, delimiter, manifest_path, manifest,
    channel, default_country, list_name, source, dag_id, run_id, as_of, lines_read, confirm_by
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
    $channel,
    $default_country,
    $list_name,
    $source,
    $dag_id,
    $run_id,
    $as_of,
    $lines_read,
    $confirm_by
where not exists (
    select 1 from ops.confirmation_batches as existing
    where existing.import_key = $import_key
)
