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
        on outcomes.batch_id = messages.batch_id and outcomes.row_number = messages.row_number
    where outcomes.batch_id = $batch_id and outcomes.action = 'join'
    group by messages.e164
)

select
    e164,
    region,
    number_type,
    time_zones,
    number_hmac,
    $batch_id
from joined
where e164 not in (select numbers.e164 from core.phone_numbers as numbers)
order by e164
