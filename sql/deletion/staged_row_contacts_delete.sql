-- Which contact the doomed staged rows became.
delete from staging.row_contacts as row_contacts
where exists (
    select 1 from doomed_rows as doomed
    where doomed.batch_id = row_contacts.batch_id and doomed.row_number = row_contacts.row_number
)
