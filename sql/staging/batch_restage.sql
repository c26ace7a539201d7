-- A batch a killed run left in status `staging`: take it up again for this run, from
-- scratch (its partial rows are deleted first by staging/contact_rows_delete_batch).
update ops.batches
set
    file_name = $file_name,
    file_path = $file_path,
    file_bytes = $file_bytes,
    file_stat = $file_stat,
    file_format = $file_format,
    encoding = $encoding,
    delimiter = $delimiter,
    has_header = $has_header,
    manifest_path = $manifest_path,
    manifest = $manifest,
    policy_name = $policy_name,
    list_names = $list_names,
    channel = $channel,
    default_country = $default_country,
    dag_id = $dag_id,
    run_id = $run_id,
    as_of = $as_of,
    status = 'staging',
    staged_at = current_timestamp,
    lines_read = 0,
    clock_override_by = $clock_override_by,
    clock_real_time = $clock_real_time,
    policy_loosened = $policy_loosened,
    imported_by = $imported_by
where batch_id = $batch_id and status = 'staging'
