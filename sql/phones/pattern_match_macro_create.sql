-- phonenumbers' `_match_national_number`: the digits match a number description's pattern
-- whole (false when the description has none). The description is a constant (a field of the
-- session variable a statement reads), so DuckDB compiles its pattern once per statement.
create or replace temp macro phone_pattern_match(digits, description) as
coalesce(regexp_full_match(digits, description.pattern), false)
