-- The lengths phonenumbers' `parse` keeps a number stripped of its national prefix at
-- (`_test_number_length` under the general description: possible, or too long; not too short,
-- local only or of an impossible length).
create or replace temp macro phone_length_kept(digits, description) as
not list_contains(description.local, length(digits))
and (list_contains(description.lengths, length(digits)) or length(digits) > list_max(description.lengths))
