-- phonenumbers' `_is_number_matching_desc`: the digits have one of the description's possible
-- lengths (when it lists any) and match its pattern whole.
create or replace temp macro phone_desc_match(digits, description) as
coalesce(
    description.pattern is not null
    and (len(description.lengths) = 0 or list_contains(description.lengths, length(digits)))
    and regexp_full_match(digits, description.pattern),
    false
)
