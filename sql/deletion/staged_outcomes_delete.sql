-- Staged copies of the deleted numbers' rows hold names, numbers and birth dates too.
delete from staging.row_outcomes
where e164 in (select e164 from doomed_numbers)
