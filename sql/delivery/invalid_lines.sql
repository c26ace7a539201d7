-- A file's invalid lines: where and why (never a value read from the file).
select
    row_number,
    line_number,
    reason
from staging.delivery_lines
where file_sha256 = $file_sha256 and outcome = 'invalid'
order by row_number
