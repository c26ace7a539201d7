-- Who imported a batch: the import run's triggering Airflow user (none for a scheduled run),
-- or the operating-system account of `optline import`. Four eyes compares it with the approver.
alter table ops.batches add column if not exists imported_by varchar
