-- phonenumbers' `region_code_for_number` and `number_type` for the region in `phone_region`:
-- the numbers of its calling code not given a region yet take it when it is the code's only
-- region, when their digits start with its leading digits, or (a region without leading
-- digits) when they are a number of a known type there. Run for the code's regions in their
-- order (phone_meta_regions.position), as phonenumbers tries them.
update phone_work
set
    region = typed.region,
    number_type = typed.number_type
from (
    select
        phone_work.phone_raw,
        getvariable('phone_region').region as region,
        phone_number_type(phone_work.nsn) as number_type,
        coalesce(
            getvariable('phone_region').sole
            or regexp_matches(phone_work.nsn, '^(?:' || getvariable('phone_region').leading_digits || ')'),
            false
        ) as claimed
    from phone_work
    where
        phone_work.cc = getvariable('phone_region').cc
        and phone_work.region is null
        and phone_work.nsn is not null
) as typed
where
    phone_work.phone_raw = typed.phone_raw
    and (
        typed.claimed
        or (getvariable('phone_region').leading_digits is null and typed.number_type != 'UNKNOWN')
    )
