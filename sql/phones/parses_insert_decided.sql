-- The values SQL read to a valid number (phone_work with a region and a known type) as the
-- batch's parses: E.164, region, type, time zones as phonenumbers' `timezone` gives them (the
-- longest prefix of the E.164 digits in the prefix table for a geographical number, the calling
-- code's zones for the others; never the unknown zone), and the number's keyed HMAC-SHA256
-- built from sha256 ($hmac_inner and $hmac_outer: the key padded and xored with HMAC's two pads).
insert into staging.phone_parses (batch_id, phone_raw, e164, region, number_type, time_zones, parse_error, number_hmac)
with

valid as (
    select
        phone_work.phone_raw,
        phone_work.cc,
        phone_work.cc || phone_work.nsn as digits,
        phone_work.region,
        phone_work.number_type,
        phone_work.number_type in ('FIXED_LINE', 'FIXED_LINE_OR_MOBILE')
        or (phone_work.number_type = 'MOBILE' and struct_extract(regions.meta, 'geo_mobile')) as geographical
    from phone_work
    inner join phone_meta_regions as regions on phone_work.region = regions.region
    where phone_work.number_type is not null and phone_work.number_type != 'UNKNOWN'
),

-- the prefix lengths the table holds, by first digit: only prefixes of those lengths can match
-- (for +1 five of the nine: 1, 4, 5, 6, 7)
zone_prefix_lengths as (
    select distinct
        left(zones.prefix, 1) as first_digit,
        length(zones.prefix) as prefix_length
    from phone_meta_time_zones as zones
),

prefixes as (
    select
        valid.phone_raw,
        left(valid.digits, lengths.prefix_length) as prefix
    from valid
    inner join zone_prefix_lengths as lengths
        on
            left(valid.digits, 1) = lengths.first_digit
            and lengths.prefix_length <= length(valid.digits)
    where valid.geographical
),

geographical_zones as (
    select
        prefixes.phone_raw,
        arg_max(zones.zones, length(prefixes.prefix)) as zones
    from prefixes
    inner join phone_meta_time_zones as zones on prefixes.prefix = zones.prefix
    group by prefixes.phone_raw
)

select
    $batch_id,
    valid.phone_raw,
    '+' || valid.digits,
    valid.region,
    valid.number_type,
    case
        when valid.geographical then coalesce(geographical_zones.zones, [])
        else codes.zones
    end,
    null,
    sha256($hmac_outer::blob || unhex(sha256($hmac_inner::blob || encode('+' || valid.digits))))
from valid
inner join phone_meta_country_codes as codes on valid.cc = codes.cc
left join geographical_zones on valid.phone_raw = geographical_zones.phone_raw
