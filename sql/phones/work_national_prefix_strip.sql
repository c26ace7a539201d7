-- phonenumbers' `parse` after the calling code: the national prefix stripped under the region
-- in `phone_region` (the calling code's main region, or the default region), kept only at a
-- length the region allows; a number left shorter than 2 or longer than 17 digits, or one whose
-- prefix a transform rule rewrites, stays without `nsn` (phonenumbers itself reads it).
update phone_work
set nsn = stripped.nsn
from (
    with

    for_region as (
        select
            phone_work.phone_raw,
            phone_work.nsn_pre,
            phone_strip_national_prefix(phone_work.nsn_pre, getvariable('phone_region')) as without_prefix
        from phone_work
        where phone_work.strip_region = getvariable('phone_region').region
    ),

    kept as (
        select
            for_region.phone_raw,
            case
                when phone_length_kept(for_region.without_prefix, getvariable('phone_region').general_desc)
                    then for_region.without_prefix
                else for_region.nsn_pre
            end as nsn
        from for_region
        where for_region.without_prefix is not null
    )

    select
        kept.phone_raw,
        kept.nsn
    from kept
    where length(kept.nsn) between 2 and 17
) as stripped
where phone_work.phone_raw = stripped.phone_raw
