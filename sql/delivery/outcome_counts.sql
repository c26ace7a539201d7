-- A file's lines by outcome, status (valid lines) and reason (invalid lines).
select
    outcome,
    status,
    reason,
    count(*) as lines
from staging.delivery_lines
where file_sha256 = $file_sha256
group by outcome, status, reason
order by outcome, status nulls last, reason nulls last
