-- Numbers accepted in this batch that the warehouse has not seen before. A number's parse
-- (region, type, time zones, HMAC) is a function of its E.164, so its parses are made distinct
-- rather than aggregated: DISTINCT spills to disk, where any_value() of a list kept every
-- group's state in memory (13.7M new numbers ran out of 1 GiB).
insert into core.phone_numbers (e164, region, number_type, time_zones, number_hmac, first_batch_id)
with

accepted_numbers as (
    select distinct e164
    from staging.row_outcomes
    where batch_id = $batch_id and accepted
),

parses as (
    select distinct
        e164,
        region,
        number_type,
        time_zones,
        number_hmac
    from staging.phone_parses
    where batch_id = $batch_id and e164 is not null
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
where
    not exists (
        select 1 from core.phone_numbers as numbers
        where numbers.e164 = accepted_numbers.e164
    )
order by parses.e164
