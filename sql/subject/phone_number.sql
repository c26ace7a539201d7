-- A data subject's export: what the warehouse knows of the number itself.
select
    e164,
    region,
    number_type,
    time_zones,
    first_batch_id,
    created_at
from core.phone_numbers
where e164 = $e164
