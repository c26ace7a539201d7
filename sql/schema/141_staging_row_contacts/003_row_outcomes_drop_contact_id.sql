-- A row's contact is in staging.row_contacts now.
alter table staging.row_outcomes drop column contact_id
