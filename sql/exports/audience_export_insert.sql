-- An audience export recorded (optline.contacts.audience_export): who, when, what, which file.
insert into ops.audience_exports (
    exported_at, exported_by, list_name, channel, statuses, attributes, with_tags, masked, file_format, file_path,
    file_sha256, rows_written
)
values (
    $exported_at, $exported_by, $list_name, $channel, $statuses, $attributes, $with_tags, $masked, $file_format,
    $file_path, $file_sha256, $rows_written
)
