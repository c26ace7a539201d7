insert into staging.optout_numbers (batch_id, e164, number_hmac)
select
    batch_id,
    e164,
    number_hmac
from optout_number_hmacs
