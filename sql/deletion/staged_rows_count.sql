-- Staged contact rows in the warehouse: counted before and after a deletion scrubs them.
select count(*) as staged_rows
from staging.contact_rows
