-- The cached answers of one kind for the numbers $number_hmacs (the reassignment check of the
-- welcomes asks the cache first).
select
    number_hmac,
    provider,
    line_type,
    reassigned,
    verified_date,
    checked_at
from ops.number_lookups
where kind = $kind and number_hmac in (select unnest($number_hmacs::varchar[]))
