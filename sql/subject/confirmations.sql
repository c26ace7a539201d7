-- A data subject's export: the number's double opt-in confirmations.
select
    confirmations.list_id,
    lists.name as list_name,
    confirmations.contact_id,
    confirmations.channel,
    confirmations.confirmed_at,
    confirmations.method,
    confirmations.keyword,
    confirmations.batch_id,
    confirmations.row_number
from core.confirmations as confirmations
left join core.lists as lists on confirmations.list_id = lists.list_id
where confirmations.number_hmac = $number_hmac
order by confirmations.confirmed_at
