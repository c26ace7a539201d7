delete from core.phone_numbers
where e164 in (select e164 from doomed_numbers)
