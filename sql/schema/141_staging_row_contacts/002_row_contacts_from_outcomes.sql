-- The contacts earlier merges recorded on their row outcomes.
insert into staging.row_contacts (batch_id, row_number, contact_id)
select
    batch_id,
    row_number,
    contact_id
from staging.row_outcomes
where contact_id is not null
