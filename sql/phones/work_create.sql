-- One page of a batch's distinct raw phone values that SQL reads exactly as phonenumbers' `parse`
-- would, with the calling code and the digits after it (`nsn_pre`), before the national prefix
-- is stripped under `strip_region`'s metadata (phones/work_national_prefix_strip). The default
-- region's metadata is the session variable `phone_default` (phone_metadata.py).
-- Taken: at most 250 characters which, without spaces, ( ) . - and /, are digits with at most
-- one leading +: no letters, extensions, RFC 3966, other Unicode digits or marks. Left out, for
-- phonenumbers itself: every other value, and the ones whose reading depends on what SQL does not
-- model (an IDD prefix followed by too few digits, an unknown or non-geographical calling code,
-- a national prefix rewritten by a transform rule, fewer than 2 digits left).
create or replace temp table phone_work as
with

page as (
    select to_parse.phone_raw
    from phone_raws_to_parse as to_parse
    where to_parse.n > $after and to_parse.n <= $after + $size
),

cleaned as (
    select
        page.phone_raw,
        regexp_replace(page.phone_raw, '[ ().\-/]', '', 'g') as cleaned
    from page
    where length(page.phone_raw) <= 250
),

canonical as (
    select
        cleaned.phone_raw,
        starts_with(cleaned.cleaned, '+') as has_plus,
        ltrim(cleaned.cleaned, '+') as digits
    from cleaned
    where regexp_full_match(cleaned.cleaned, '\+?[0-9]+')
),

idd_read as (
    select
        canonical.phone_raw,
        canonical.digits,
        canonical.has_plus,
        coalesce(
            not canonical.has_plus
            and regexp_matches(canonical.digits, '^(?:' || getvariable('phone_default').idd || ')'),
            false
        ) as has_idd,
        substr(
            canonical.digits,
            length(regexp_extract(canonical.digits, '^(?:' || getvariable('phone_default').idd || ')')) + 1
        ) as after_idd
    from canonical
),

sourced as (
    select
        idd_read.phone_raw,
        idd_read.digits,
        case
            when idd_read.has_plus then idd_read.digits
            when idd_read.has_idd and not starts_with(idd_read.after_idd, '0') then idd_read.after_idd
        end as international
    from idd_read
),

international as (
    select
        sourced.phone_raw,
        codes.cc,
        substr(sourced.international, length(codes.cc) + 1) as nsn_pre,
        codes.main_region as strip_region
    from sourced
    left join phone_meta_country_codes as one on substr(sourced.international, 1, 1) = one.cc
    left join phone_meta_country_codes as two on substr(sourced.international, 1, 2) = two.cc
    left join phone_meta_country_codes as three on substr(sourced.international, 1, 3) = three.cc
    inner join phone_meta_country_codes as codes on coalesce(one.cc, two.cc, three.cc) = codes.cc
    where
        sourced.international is not null
        and length(sourced.international) > 2
        and not codes.non_geo
),

national as (
    select
        sourced.phone_raw,
        sourced.digits,
        starts_with(sourced.digits, getvariable('phone_default').cc) as leads_with_cc,
        phone_strip_national_prefix(
            substr(sourced.digits, length(getvariable('phone_default').cc) + 1), getvariable('phone_default')
        ) as after_cc
    from sourced
    where sourced.international is null
),

national_read as (
    select
        national.phone_raw,
        national.digits,
        national.after_cc,
        national.leads_with_cc
        and (
            (
                not phone_pattern_match(national.digits, getvariable('phone_default').general_desc)
                and phone_pattern_match(national.after_cc, getvariable('phone_default').general_desc)
            )
            or phone_length_too_long(national.digits, getvariable('phone_default').general_desc)
        ) as cc_written
    from national
    where not (national.leads_with_cc and national.after_cc is null)
),

read_all as (
    select
        international.phone_raw,
        international.cc,
        international.nsn_pre,
        international.strip_region
    from international
    union all
    select
        national_read.phone_raw,
        getvariable('phone_default').cc as cc,
        case when national_read.cc_written then national_read.after_cc else national_read.digits end as nsn_pre,
        case
            when national_read.cc_written then codes.main_region else getvariable('phone_default').region
        end as strip_region
    from national_read
    inner join phone_meta_country_codes as codes on getvariable('phone_default').cc = codes.cc
)

select
    read_all.phone_raw,
    read_all.cc,
    read_all.nsn_pre,
    read_all.strip_region,
    null::varchar as nsn,
    null::varchar as region,
    null::varchar as number_type
from read_all
where length(read_all.nsn_pre) >= 2
