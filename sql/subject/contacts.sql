-- A data subject's export: every contact at the number, as held.
select
    contact_id,
    e164,
    first_name,
    last_name,
    email,
    dob,
    title,
    address_line1,
    address_line2,
    city,
    state,
    postcode,
    company,
    alternate_phone,
    first_batch_id,
    last_batch_id,
    created_at,
    updated_at
from core.contacts
where e164 = $e164
order by contact_id
