-- The batches whose received texts deletion/inbound_messages_scrub is about to scrub (read
-- before it, in the deletion's transaction): their reports are written again.
select distinct batch_id
from staging.inbound_messages
where
    e164 in (select doomed_numbers.e164 from doomed_numbers)
    or ($scope = 'all' and (from_raw is not null or body is not null))
order by batch_id
