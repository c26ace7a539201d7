-- Remember each number's first join of a list, so that its welcome is never queued again.
insert into msg.keyword_joins (list_id, number_hmac, first_joined_at, batch_id, row_number)
select
    lists.list_id,
    messages.number_hmac,
    outcomes.received_at,
    outcomes.batch_id,
    outcomes.row_number
from staging.inbound_outcomes as outcomes
inner join staging.inbound_messages as messages
    on outcomes.batch_id = messages.batch_id and outcomes.row_number = messages.row_number
inner join core.lists as lists on lists.name_key = lower(trim(messages.list_name))
where outcomes.batch_id = $batch_id and outcomes.welcome
order by outcomes.apply_order
on conflict do nothing
