-- The deletion's scratch table of numbers (deletion/doomed_numbers_create).
drop table if exists doomed_numbers
