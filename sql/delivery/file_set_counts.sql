-- The file's counts, once its lines are applied.
update ops.delivery_files
set
    lines_applied = $lines_applied,
    lines_unmatched = $lines_unmatched,
    lines_invalid = $lines_invalid,
    messages_updated = $messages_updated
where file_sha256 = $file_sha256
