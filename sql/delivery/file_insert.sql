-- Record the file being applied (its counts are set once its lines are applied).
insert into ops.delivery_files (
    file_sha256, file_name, file_path, file_bytes, file_format, encoding, delimiter, applied_at, lines_read
)
values (
    $file_sha256, $file_name, $file_path, $file_bytes, $file_format, $encoding, $delimiter, $applied_at,
    $lines_read
)
