-- phonenumbers' `_maybe_strip_national_prefix_carrier_code` under a region's metadata: the
-- digits without their national prefix (and carrier code), or unchanged when the region has
-- none, the digits do not start with it, or only the digits with it are a number there. Null
-- when the region rewrites the prefix by a transform rule: phonenumbers itself decides those.
create or replace temp macro phone_strip_national_prefix(digits, meta) as
case
    when meta.npfp is null or digits = '' then digits
    when not regexp_matches(digits, '^(?:' || meta.npfp || ')') then digits
    when meta.transform then null
    when
        phone_pattern_match(digits, meta.general_desc)
        and not phone_pattern_match(
            substr(digits, length(regexp_extract(digits, '^(?:' || meta.npfp || ')')) + 1), meta.general_desc
        )
        then digits
    else substr(digits, length(regexp_extract(digits, '^(?:' || meta.npfp || ')')) + 1)
end
