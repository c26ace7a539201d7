-- Numbers accepted in this batch that the warehouse has not seen before. A number's parse
-- (region, type, time zones, HMAC) is a function of its E.164, so its parses are made distinct
-- rather than aggregated: DISTINCT spills to disk, where any_value() of a list kept every
-- group's state in memory (13.7M new numbers ran out of 1 GiB).
insert into core.phone_numbers (e164, region, number_type, time_zones, number_hmac, first_batch_id)
with

accepted_numbers as (
    select outcomes.e164
    from staging.row_outcomes as outcomes
    anti join core.phone_numbers as numbers on outcomes.e164 = numbers.e164
    where outcomes.batch_id = $batch_id and outcomes.accepted
),

parses as (
    select distinct
        parses.e164,
        parses.region,
        parses.number_type,
        parses.time_zones,
        parses.number_hmac
    from staging.phone_parses as parses
    semi join accepted_numbers on parses.e164 = accepted_numbers.e164
    where parses.batch_id = $batch_id
)

select
    e164,
    region,
    number_type,
    time_zones,
    number_hmac,
    $batch_id
from parses
order by e164
