-- How many staged contact rows the deletion removes (deletion/doomed_rows_create).
select count(*) as staged_rows
from doomed_rows
