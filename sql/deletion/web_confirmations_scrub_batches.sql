-- The batches whose web confirmations deletion/web_confirmations_scrub is about to scrub (read
-- before it, in the deletion's transaction): their reports are written again.
select distinct batch_id
from staging.web_confirmations
where
    e164 in (select doomed_numbers.e164 from doomed_numbers)
    or ($scope = 'all' and phone_raw is not null)
order by batch_id
