delete from staging.phone_parses
where e164 in (select e164 from doomed_numbers)
