-- Who set the rules' clock by hand (the `as_of` param, `optline import --as-of`); null when the
-- batch ran on the run's own clock. A compliance override the list's policy must allow.
alter table ops.batches add column if not exists clock_override_by varchar
