-- How staging read a batch's file (optline inspect shows it): its format, encoding,
-- delimiter and whether its first row was a header.
select
    file_format,
    encoding,
    delimiter,
    has_header,
    lines_read
from ops.batches
where batch_id = $batch_id
