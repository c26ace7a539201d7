-- How many numbers the deletion removes from core.phone_numbers (deletion/doomed_numbers_create).
select count(*) as numbers
from core.phone_numbers
where e164 in (select doomed_numbers.e164 from doomed_numbers)
