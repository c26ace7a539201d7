-- Record that the reviewers were told about one possible revocation at one clock level (once:
-- a reminder already recorded is kept).
insert into ops.revocation_reminders (batch_id, row_number, clock, told_at)
select
    $batch_id,
    $row_number,
    $clock,
    $told_at
where not exists (
    select 1 from ops.revocation_reminders as told
    where told.batch_id = $batch_id and told.row_number = $row_number and told.clock = $clock
)
