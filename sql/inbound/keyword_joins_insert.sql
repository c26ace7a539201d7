-- Remember each number's first join of a list, so that its welcome is never queued again: a
-- join already remembered is kept, and of a batch's joins of one list by one number the first
-- in apply order is.
insert into msg.keyword_joins (list_id, number_hmac, first_joined_at, batch_id, row_number)
with

joins as (
    select
        lists.list_id,
        messages.number_hmac,
        outcomes.received_at,
        outcomes.batch_id,
        outcomes.row_number,
        outcomes.apply_order
    from staging.inbound_outcomes as outcomes
    inner join staging.inbound_messages as messages
        on outcomes.batch_id = messages.batch_id and outcomes.row_number = messages.row_number
    inner join core.lists as lists on lists.name_key = lower(trim(messages.list_name))
    where outcomes.batch_id = $batch_id and outcomes.welcome
),

first_joins as (
    select *
    from joins
    where
        not exists (
            select 1 from msg.keyword_joins as remembered
            where remembered.list_id = joins.list_id and remembered.number_hmac = joins.number_hmac
        )
    qualify row_number() over (partition by list_id, number_hmac order by apply_order, row_number) = 1
)

select
    list_id,
    number_hmac,
    received_at,
    batch_id,
    row_number
from first_joins
order by apply_order, row_number
