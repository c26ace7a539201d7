-- Numbers that joined a list by keyword and that the warehouse has not seen before.
insert into core.phone_numbers (e164, region, number_type, time_zones, number_hmac, first_batch_id)
with

joined as (
    select
        messages.e164,
        any_value(messages.region) as region,
        any_value(messages.number_type) as number_type,
        any_value(messages.time_zones) as time_zones,
        any_value(messages.number_hmac) as number_hmac
    from staging.inbound_outcomes as outcomes
    inner join staging.inbound_messages as messages
        on messages.batch_id = outcomes.batch_id and messages.row_number = outcomes.row_number
    where outcomes.batch_id = $batch_id and outcomes.action = 'join'
    group by messages.e164
)

select e164, region, number_type, time_zones, number_hmac, $batch_id
from joined
where e164 not in (select e164 from core.phone_numbers)
order by e164
