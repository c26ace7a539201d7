-- The numbers of a batch whose line type the cache cannot answer: never asked, or asked
-- before $fresh_since (the policy's max age). In number order, so a resumed run asks the rest
-- in the same order.
select
    e164,
    number_hmac
from ops.line_type_numbers($batch_id, $countries::varchar[], $reject_types::varchar[])
where checked_at is null or checked_at < $fresh_since
order by e164
