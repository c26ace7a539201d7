-- The opt-ins the batch's accepted rows give, one per row, in row order: consent_events_insert
-- numbers them by their place in this table (rowid, counted from the first), so no window
-- function sorts the rows a second time. Narrow on purpose (the number's HMAC, 64 characters,
-- is joined in by the insert): a transaction's scratch table is held in memory.
create or replace temp table batch_opt_ins as
select
    outcomes.row_number,
    outcomes.e164,
    outcomes.opted_in_at,
    row_contacts.contact_id
from staging.row_outcomes as outcomes
inner join staging.row_contacts as row_contacts
    on outcomes.batch_id = row_contacts.batch_id and outcomes.row_number = row_contacts.row_number
where outcomes.batch_id = $batch_id and outcomes.accepted
order by outcomes.row_number
