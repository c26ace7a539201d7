-- Numbers accepted in this batch that the warehouse has not seen before.
insert into core.phone_numbers (e164, region, number_type, time_zones, number_hmac, first_batch_id)
with

accepted_numbers as (
    select distinct e164
    from staging.row_outcomes
    where batch_id = $batch_id and accepted
),

parses as (
    select
        e164,
        any_value(region) as region,
        any_value(number_type) as number_type,
        any_value(time_zones) as time_zones,
        any_value(number_hmac) as number_hmac
    from staging.phone_parses
    where batch_id = $batch_id and e164 is not null
    group by e164
)

select
    parses.e164,
    parses.region,
    parses.number_type,
    parses.time_zones,
    parses.number_hmac,
    $batch_id
from accepted_numbers
inner join parses on accepted_numbers.e164 = parses.e164
where accepted_numbers.e164 not in (select numbers.e164 from core.phone_numbers as numbers)
order by parses.e164
