-- The real (wall-clock) time of a run whose clock was set by hand; null otherwise.
alter table ops.batches add column if not exists clock_real_time timestamptz
