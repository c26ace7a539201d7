-- The effective rule and gate parameters a batch was checked with (JSON), for audit and
-- for the quality views below.
alter table ops.batches add column if not exists rule_parameters json
