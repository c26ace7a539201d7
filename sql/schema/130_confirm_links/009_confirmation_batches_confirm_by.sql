-- How the export's rows were matched: token (the welcome's link) or number (a site that cannot
-- pass tokens).
alter table ops.confirmation_batches add column if not exists confirm_by varchar
