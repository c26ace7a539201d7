-- phonenumbers' `_test_number_length(...) == TOO_LONG` under the general description: longer
-- than every possible length, and not a local-only one.
create or replace temp macro phone_length_too_long(digits, description) as
not list_contains(description.local, length(digits)) and length(digits) > list_max(description.lengths)
