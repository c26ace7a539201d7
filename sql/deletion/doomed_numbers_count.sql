-- How many numbers the deletion removes (deletion/doomed_numbers_create).
select count(*) as numbers
from doomed_numbers
