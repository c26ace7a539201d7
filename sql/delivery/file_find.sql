-- A delivery status file already applied (same bytes: same sha256).
select
    file_sha256,
    file_name,
    file_format,
    applied_at,
    lines_read,
    lines_applied,
    lines_unmatched,
    lines_invalid,
    messages_updated
from ops.delivery_files
where file_sha256 = $file_sha256
